// Whether the names and numbers in the deploy artifacts agree with tipstream: the rendered
// Kubernetes manifests (both overlays) and the Bicep against the configuration's settings and
// defaults (common/config.ts) and the CQL the relay runs. Returns every disagreement, so a test
// can both require none and show that a planted one is found.
import type { z } from 'zod';
import { COSMOS_PORT, envName, settingPaths } from '../../../common/config.js';
import type { BicepFile, BicepValue, Manifest } from './index.js';

export interface CqlTable {
  keyspace: string;
  table: string;
  columns: { name: string; type: string }[];
  partitionKey: string[];
  clusteringKey: string[];
}

export interface NamesInput {
  /** The configuration's schema: its leaf paths are the settings that exist. */
  schema: z.ZodType;
  /** The built-in defaults, as a plain tree (defaultConfig()). */
  defaults: Record<string, unknown>;
  local: Manifest[];
  azure: Manifest[];
  /** deploy/kubernetes/overlays/azure/azure.env as name → value. */
  azureEnvFile: Record<string, string>;
  bicep: BicepFile;
  cql: CqlTable;
}

/** `CREATE TABLE IF NOT EXISTS ks.t (col type, ..., PRIMARY KEY (pk, ck...))` → its parts. */
export function parseCreateTable(statement: string): CqlTable {
  const match = /CREATE TABLE (?:IF NOT EXISTS )?(\w+)\.(\w+)\s*\(([\s\S]*)\)\s*$/i.exec(statement.trim());
  if (!match) throw new Error(`not a CREATE TABLE: ${statement}`);
  const [, keyspace, table, body] = match as unknown as [string, string, string, string];
  const key = /PRIMARY KEY\s*\(\s*(?:\(([^)]*)\)|(\w+))\s*((?:,\s*\w+\s*)*)\)/i.exec(body);
  if (!key) throw new Error(`no PRIMARY KEY in ${statement}`);
  const list = (text: string | undefined) => (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const columns = body
    .slice(0, key.index)
    .split(',')
    .map((part) => part.trim().split(/\s+/))
    .filter((words) => words.length === 2)
    .map(([name, type]) => ({ name: name!, type: type! }));
  return { keyspace, table, columns, partitionKey: key[1] ? list(key[1]) : [key[2]!], clusteringKey: list(key[3]) };
}

function at(tree: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), tree);
}

function find(docs: Manifest[], kind: string, name: string): Record<string, any> | undefined {
  return docs.find((doc) => doc.kind === kind && (doc.metadata.name === name || (kind === 'ConfigMap' && doc.metadata.name.startsWith(`${name}-`))));
}

function containerOf(deployment: Record<string, any> | undefined): Record<string, any> | undefined {
  return deployment?.spec?.template?.spec?.containers?.[0];
}

function portOf(url: string | undefined): { host: string; port: number } | undefined {
  if (!url) return undefined;
  const parsed = new URL(url.includes('://') ? url : `tcp://${url}`);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

export function namesDisagreements(input: NamesInput): string[] {
  const problems: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown) => {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) problems.push(`${what}: ${JSON.stringify(actual)}, but tipstream's is ${JSON.stringify(expected)}`);
  };
  const known = new Set(settingPaths(input.schema).map(envName));
  const byEnv = new Map(settingPaths(input.schema).map((path) => [envName(path), path]));
  const dflt = (path: string) => at(input.defaults, path);

  // Settings: every name is one tipstream reads; where a default exists, the value is it.
  const sameAsDefault = ['kafka.rideTopic', 'kafka.fareTopic', 'kafka.deadLetterTopic', 'kafka.statsTopic', 'kafka.partitions', 'job.consumerGroup', 'relay.consumerGroup', 'cassandra.keyspace', 'udf.port', 'metrics.port', 'dashboard.port', 'job.maxParallelism'];
  for (const [overlay, docs] of [['local', input.local], ['azure', input.azure]] as const) {
    const settings = find(docs, 'ConfigMap', 'tipstream-settings')?.data as Record<string, string> | undefined;
    if (!settings) {
      problems.push(`${overlay}: no ConfigMap tipstream-settings`);
      continue;
    }
    for (const name of Object.keys(settings)) if (!known.has(name)) problems.push(`${overlay}: ConfigMap key ${name} is no tipstream setting`);
    for (const path of sameAsDefault) {
      const name = envName(path);
      if (!byEnv.has(name)) problems.push(`${overlay}: tipstream has no setting ${path} (${name}) any more`);
      else expect(`${overlay}: ${name}`, settings[name], String(dflt(path)));
    }
    checkPorts(overlay, docs, settings, input, expect);
  }
  checkBicep(input, expect, problems, known);
  return problems;
}

type Expect = (what: string, actual: unknown, expected: unknown) => void;

function checkPorts(overlay: string, docs: Manifest[], settings: Record<string, string>, input: NamesInput, expect: Expect): void {
  const dflt = (path: string) => at(input.defaults, path);
  const udf = find(docs, 'Service', 'tipstream-udf-service');
  expect(`${overlay}: udf-service Service port`, udf?.spec?.ports?.[0]?.port, dflt('udf.port'));
  expect(`${overlay}: udf-service container port`, containerOf(find(docs, 'Deployment', 'tipstream-udf-service'))?.ports?.[0]?.containerPort, dflt('udf.port'));
  expect(`${overlay}: ${envName('job.udfLookupUrl')}`, portOf(settings[envName('job.udfLookupUrl')]), { host: 'tipstream-udf-service', port: dflt('udf.port') });
  expect(`${overlay}: metrics container port`, containerOf(find(docs, 'Deployment', 'tipstream-metrics'))?.ports?.[0]?.containerPort, dflt('metrics.port'));
  expect(`${overlay}: dashboard container port`, containerOf(find(docs, 'Deployment', 'tipstream-dashboard'))?.ports?.[0]?.containerPort, dflt('dashboard.port'));
  const gateway = find(docs, 'Service', 'tipstream-sql-gateway');
  expect(`${overlay}: SQL Gateway Service port`, gateway?.spec?.ports?.[0]?.port, dflt('stack.ports.sqlGateway'));
  const gatewayArgs: string[] = containerOf(find(docs, 'Deployment', 'tipstream-sql-gateway'))?.args ?? [];
  const flink = find(docs, 'FlinkDeployment', 'tipstream-flink');
  const restService = `${flink?.metadata?.name}-rest`;
  expect(`${overlay}: SQL Gateway's own port`, gatewayArgs.find((a) => a.startsWith('-Dsql-gateway.endpoint.rest.port=')), `-Dsql-gateway.endpoint.rest.port=${dflt('stack.ports.sqlGateway')}`);
  expect(`${overlay}: SQL Gateway's Flink address`, [gatewayArgs.find((a) => a.startsWith('-Drest.address=')), gatewayArgs.find((a) => a.startsWith('-Drest.port='))], [`-Drest.address=${restService}`, `-Drest.port=${dflt('stack.ports.flinkRest')}`]);
  expect(`${overlay}: ${envName('flink.sqlGatewayUrl')}`, portOf(settings[envName('flink.sqlGatewayUrl')]), { host: 'tipstream-sql-gateway', port: dflt('stack.ports.sqlGateway') });
  expect(`${overlay}: ${envName('flink.restUrl')}`, portOf(settings[envName('flink.restUrl')]), { host: restService, port: dflt('stack.ports.flinkRest') });
  expect(`${overlay}: Flink's Prometheus port`, flink?.spec?.flinkConfiguration?.['metrics.reporter.prom.port'], String(dflt('stack.ports.flinkPrometheusFirst')));
  if (overlay === 'local') {
    expect('local: Kafka Service port', find(docs, 'Service', 'kafka')?.spec?.ports?.[0]?.port, dflt('stack.ports.kafka'));
    expect(`local: ${envName('kafka.bootstrapServers')}`, portOf(settings[envName('kafka.bootstrapServers')]), { host: 'kafka', port: dflt('stack.ports.kafka') });
    expect('local: Cassandra Service port', find(docs, 'Service', 'cassandra')?.spec?.ports?.[0]?.port, dflt('stack.ports.cassandra'));
    expect(`local: ${envName('cassandra.port')}`, settings[envName('cassandra.port')], String(dflt('stack.ports.cassandra')));
    expect(`local: ${envName('cassandra.localDataCenter')}`, settings[envName('cassandra.localDataCenter')], dflt('cassandra.localDataCenter'));
  } else {
    expect(`azure: ${envName('cassandra.port')}`, settings[envName('cassandra.port')], String(COSMOS_PORT));
    for (const [name, value] of Object.entries(input.azureEnvFile)) expect(`azure: ConfigMap ${name} (from azure.env)`, settings[name], value);
  }
}

function checkBicep(input: NamesInput, expect: Expect, problems: string[], known: Set<string>): void {
  const { bicep, cql } = input;
  const dflt = (path: string) => at(input.defaults, path);
  const params = new Map(bicep.params.map((p) => [p.name, p.default]));
  const variables = new Map(bicep.variables.map((v) => [v.name, v.value]));
  const resolve = (value: BicepValue | undefined): unknown => {
    if (value && typeof value === 'object' && 'expr' in value && typeof value.expr === 'string') {
      if (params.has(value.expr)) return resolve(params.get(value.expr));
      if (variables.has(value.expr)) return resolve(variables.get(value.expr));
    }
    if (Array.isArray(value)) return value.map(resolve);
    return value;
  };
  const resources = (type: string) => bicep.resources.filter((r) => r.type.split('@')[0] === type);

  const hubs = resources('Microsoft.EventHub/namespaces/eventhubs');
  const hubNames = hubs.length === 1 && hubs[0]!.loop ? (resolve({ expr: hubs[0]!.loop.split(' in ')[1]!.trim() }) as unknown[]) : hubs.map((h) => resolve(h.body.name));
  expect('Bicep: hubs', hubNames, ['kafka.rideTopic', 'kafka.fareTopic', 'kafka.deadLetterTopic', 'kafka.statsTopic'].map(dflt));
  for (const hub of hubs) expect('Bicep: partitions of each hub', resolve((hub.body.properties as Record<string, BicepValue>)?.partitionCount), dflt('kafka.partitions'));

  const groups = resources('Microsoft.EventHub/namespaces/eventhubs/consumergroups').map((g) => {
    const parent = /^hubs\[(\d+)\]$/.exec((g.body.parent as { expr: string }).expr);
    return `${parent ? hubNames[Number(parent[1])] : (g.body.parent as { expr: string }).expr}/${resolve(g.body.name)}`;
  });
  expect('Bicep: consumer groups (hub/group)', groups.sort(), [`${dflt('kafka.rideTopic')}/${dflt('job.consumerGroup')}`, `${dflt('kafka.fareTopic')}/${dflt('job.consumerGroup')}`, `${dflt('kafka.statsTopic')}/${dflt('relay.consumerGroup')}`].sort());

  const keyspace = resources('Microsoft.DocumentDB/databaseAccounts/cassandraKeyspaces')[0];
  expect('Bicep: keyspace', resolve(keyspace?.body.name), dflt('cassandra.keyspace'));
  expect("CQL: the relay's keyspace", cql.keyspace, dflt('cassandra.keyspace'));
  const table = resources('Microsoft.DocumentDB/databaseAccounts/cassandraKeyspaces/tables')[0];
  const resource = (table?.body.properties as Record<string, any> | undefined)?.resource;
  expect('Bicep: table', [resolve(table?.body.name), resolve(resource?.id)], [cql.table, cql.table]);
  expect('Bicep: table columns (name and type, in order)', resource?.schema?.columns, cql.columns);
  expect('Bicep: partition key', resource?.schema?.partitionKeys?.map((k: { name: string }) => k.name), cql.partitionKey);
  expect('Bicep: clustering key', resource?.schema?.clusterKeys?.map((k: { name: string }) => k.name), cql.clusteringKey);

  // Outputs: <group>_<setting> must be a setting; azure.env holds exactly those.
  const settingOutputs = bicep.outputs.filter((o) => !o.name.startsWith('azure_'));
  for (const output of settingOutputs) if (!known.has(envName(output.name.replace(/_/g, '.')))) problems.push(`Bicep: output ${output.name} is no tipstream setting`);
  expect('azure.env names vs Bicep outputs', Object.keys(input.azureEnvFile).sort(), settingOutputs.map((o) => envName(o.name.replace(/_/g, '.'))).sort());
  const outputValue = (name: string) => resolve(settingOutputs.find((o) => o.name === name)?.value);
  expect('Bicep: output cassandra_port', outputValue('cassandra_port'), COSMOS_PORT);
  expect('Bicep: output kafka_partitions', outputValue('kafka_partitions'), dflt('kafka.partitions'));
}
