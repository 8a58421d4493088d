// The names and numbers in deploy/ agree with tipstream: topics, hubs, consumer groups, keyspace,
// table and columns, partition counts and ports, in both rendered overlays and in the Bicep,
// against common/config.ts (setting names and defaults) and the CQL the relay runs. A renamed
// setting, a wrong column or a changed count is found.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { configSchema, defaultConfig, loadConfig } from '../../../common/config.js';
import { ResultsTable } from '../../../clients/index.js';
import { cassandraOptions } from '../../../common/client-options.js';
import { copyOfDeploy, deployDir, deployTools, kustomizeBuild, manifests, parseBicep, type BicepFile } from '../../support/deploy-check/index.js';
import { namesDisagreements, parseCreateTable, type CqlTable, type NamesInput } from '../../support/deploy-check/names-agree.js';

/** The CREATE TABLE the relay runs, captured from ResultsTable with a client that records statements. */
async function relayCreateTable(): Promise<CqlTable> {
  const statements: string[] = [];
  const client = { execute: async (cql: string) => void statements.push(cql) };
  const config = loadConfig({ env: {}, cwd: deployDir });
  // ResultsTable's constructor and createSchema are private to its module; the test drives them
  // with a recording client to read the very statements the relay sends, not a copy of them.
  const table = new (ResultsTable as unknown as new (client: unknown, options: unknown) => { createSchema(): Promise<void> })(client, cassandraOptions(config));
  await table.createSchema();
  return parseCreateTable(statements.find((s) => /CREATE TABLE/i.test(s))!);
}

function readEnvFile(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

function inputsFrom(root: string, cql: CqlTable): NamesInput {
  const render = (overlay: string) => {
    const rendered = kustomizeBuild(join(root, 'kubernetes', 'overlays', overlay));
    if (!rendered.ok) throw new Error(rendered.error);
    return manifests(rendered.yaml);
  };
  const [bicep] = parseBicep(join(root, 'azure', 'main.bicep')) as [BicepFile];
  return {
    schema: configSchema,
    defaults: defaultConfig({}),
    local: render('local'),
    azure: render('azure'),
    azureEnvFile: readEnvFile(join(root, 'kubernetes', 'overlays', 'azure', 'azure.env')),
    bicep,
    cql,
  };
}

let cql: CqlTable;
let actual: NamesInput;
beforeAll(async () => {
  deployTools();
  cql = await relayCreateTable();
  actual = inputsFrom(deployDir, cql);
}, 300_000);

function plantedIn(file: string, edit: (text: string) => string): NamesInput {
  const root = copyOfDeploy();
  const path = join(root, file);
  const before = readFileSync(path, 'utf8');
  writeFileSync(path, edit(before));
  expect(readFileSync(path, 'utf8')).not.toBe(before);
  return inputsFrom(root, cql);
}

it("reads the relay's table: ten columns, partition key neighborhood, clustering key window_end", () => {
  expect(cql).toMatchObject({ keyspace: 'newyorktaxi', table: 'neighborhoodstats', partitionKey: ['neighborhood'], clusteringKey: ['window_end'] });
  expect(cql.columns).toHaveLength(10);
  expect(cql.columns[3]).toEqual({ name: 'number_of_rides', type: 'bigint' });
});

it('finds every name and number in agreement', () => {
  expect(namesDisagreements(actual)).toEqual([]);
});

describe('finds a planted disagreement', () => {
  it('a renamed setting (kafka.rideTopic becomes kafka.ridesTopic in the configuration)', () => {
    const kafka = configSchema.shape.kafka;
    const renamed = configSchema.extend({ kafka: kafka.omit({ rideTopic: true }).extend({ ridesTopic: kafka.shape.rideTopic }) });
    const defaults = defaultConfig({}) as { kafka: Record<string, unknown> };
    defaults.kafka = { ...defaults.kafka, ridesTopic: defaults.kafka.rideTopic, rideTopic: undefined };
    const problems = namesDisagreements({ ...actual, schema: renamed as unknown as z.ZodType, defaults });
    expect(problems).toEqual(expect.arrayContaining([
      'local: ConfigMap key TIPSTREAM_KAFKA_RIDE_TOPIC is no tipstream setting',
      'Bicep: output kafka_rideTopic is no tipstream setting',
    ]));
  });

  it('a wrong column name in the Bicep table', () => {
    const problems = namesDisagreements(plantedIn('azure/main.bicep', (t) => t.replace("{ name: 'average_tip_per_mile', type: 'double' }", "{ name: 'avg_tip_per_mile', type: 'double' }")));
    expect(problems).toEqual([expect.stringMatching(/^Bicep: table columns \(name and type, in order\): .*avg_tip_per_mile/)]);
  }, 60_000);

  it('a wrong clustering key in the Bicep table', () => {
    const problems = namesDisagreements(plantedIn('azure/main.bicep', (t) => t.replace("{ name: 'window_end', orderBy: 'Asc' }", "{ name: 'window_start', orderBy: 'Asc' }")));
    expect(problems).toEqual([expect.stringMatching(/^Bicep: clustering key: \["window_start"\]/)]);
  }, 60_000);

  it('another partition count in the Bicep', () => {
    const problems = namesDisagreements(plantedIn('azure/main.bicep', (t) => t.replace('param partitionCount int = 4', 'param partitionCount int = 8')));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^Bicep: partitions of each hub: 8/), expect.stringMatching(/^Bicep: output kafka_partitions: 8/)]));
  }, 60_000);

  it("another consumer group for the relay in the cluster's settings", () => {
    const problems = namesDisagreements(plantedIn('kubernetes/base/settings.env', (t) => t.replace('TIPSTREAM_RELAY_CONSUMER_GROUP=tipstream-relay', 'TIPSTREAM_RELAY_CONSUMER_GROUP=relay')));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^local: TIPSTREAM_RELAY_CONSUMER_GROUP: "relay"/)]));
  }, 60_000);

  it("a port of the udf-service's Service that is not udf.port", () => {
    const problems = namesDisagreements(plantedIn('kubernetes/base/udf-service.yaml', (t) => t.replace('port: 8090', 'port: 8091')));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^local: udf-service Service port: 8091/), expect.stringMatching(/^azure: udf-service Service port: 8091/)]));
  }, 60_000);

  it('a hub named otherwise in the Bicep', () => {
    const problems = namesDisagreements(plantedIn('azure/main.bicep', (t) => t.replace("param fareTopic string = 'taxi-fares'", "param fareTopic string = 'taxi-fare-eh'")));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^Bicep: hubs: .*taxi-fare-eh/), expect.stringMatching(/^Bicep: consumer groups/)]));
  }, 60_000);
});
