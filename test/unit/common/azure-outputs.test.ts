// `tipstream azure env`'s library: a deployment's outputs to TIPSTREAM_* settings, one to one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentLines, secretCommands, settingsFromOutputs } from '../../../common/azure-outputs.js';
import { loadConfig, projectRoot } from '../../../common/config.js';
import { ConfigError } from '../../../common/errors.js';

const outputs = JSON.parse(readFileSync(join(projectRoot, 'test', 'unit', 'deploy', 'fixtures', 'deployment-outputs.json'), 'utf8')) as Record<string, unknown>;

it('maps each <group>_<setting> output onto that setting, and keeps azure_* outputs as resource names', () => {
  const environment = settingsFromOutputs(outputs, 'outputs.json');
  expect(environment.settings).toContainEqual({ path: 'kafka.bootstrapServers', env: 'TIPSTREAM_KAFKA_BOOTSTRAP_SERVERS', value: 'tipstream-eh.servicebus.windows.net:9093' });
  expect(environment.settings).toContainEqual({ path: 'cassandra.port', env: 'TIPSTREAM_CASSANDRA_PORT', value: '10350' });
  expect(environment.settings).toHaveLength(14);
  expect(environment.resources).toMatchObject({ resourceGroup: 'tipstream-rg', eventHubsNamespace: 'tipstream-eh', cosmosAccount: 'tipstream-cosmos' });
});

it('reads all of `az deployment group show` as well as its properties.outputs', () => {
  expect(settingsFromOutputs({ name: 'main', properties: { outputs } }, 'show.json')).toEqual(settingsFromOutputs(outputs, 'outputs.json'));
});

it('gives settings that tipstream loads as a Cosmos DB and Event Hubs configuration', () => {
  const env = Object.fromEntries(settingsFromOutputs(outputs, 'outputs.json').settings.map((s) => [s.env, s.value]));
  const config = loadConfig({ env, cwd: projectRoot });
  expect(config.kafka.bootstrapServers).toBe('tipstream-eh.servicebus.windows.net:9093');
  expect(config.cassandra).toMatchObject({ profile: 'cosmos', port: 10350, tls: true, localDataCenter: 'West Europe', contactPoints: ['tipstream-cosmos.cassandra.cosmos.azure.com'] });
});

it('prints shell exports with values quoted, and env-file lines as Kustomize reads them', () => {
  const environment = { settings: [{ path: 'cassandra.localDataCenter', env: 'TIPSTREAM_CASSANDRA_LOCAL_DATA_CENTER', value: "West Europe's" }], resources: {} };
  expect(environmentLines(environment, 'shell')).toEqual([`export TIPSTREAM_CASSANDRA_LOCAL_DATA_CENTER='West Europe'\\''s'`]);
  expect(environmentLines(environment, 'dotenv')).toEqual(["TIPSTREAM_CASSANDRA_LOCAL_DATA_CENTER=West Europe's"]);
});

it('prints az commands for the secrets, never a secret', () => {
  const environment = settingsFromOutputs(outputs, 'outputs.json');
  const lines = secretCommands(environment, 'listen');
  expect(lines).toEqual([
    `export TIPSTREAM_KAFKA_CONNECTION_STRING="$(az eventhubs namespace authorization-rule keys list -g 'tipstream-rg' --namespace-name 'tipstream-eh' -n 'tipstream-listen' --query primaryConnectionString -o tsv)"`,
    `export TIPSTREAM_CASSANDRA_PASSWORD="$(az cosmosdb keys list -g 'tipstream-rg' -n 'tipstream-cosmos' --query primaryMasterKey -o tsv)"`,
  ]);
});

it('refuses an output that is no setting, naming it (a renamed setting breaks here, not silently)', () => {
  expect(() => settingsFromOutputs({ ...outputs, kafka_ridesTopic: { type: 'String', value: 'x' } }, 'outputs.json')).toThrow(
    new ConfigError('outputs.json: output kafka_ridesTopic is no tipstream setting (kafka.ridesTopic); outputs are named <group>_<setting> after common/config.ts, or azure_<name>'),
  );
});

it('refuses secrets as outputs and never repeats their value', () => {
  const secret = 'Endpoint=sb://x/;SharedAccessKey=abc';
  for (const bad of [{ kafka_connectionString: { type: 'String', value: secret } }, { anything: { type: 'SecureString', value: secret } }]) {
    let message = '';
    try {
      settingsFromOutputs(bad, 'outputs.json');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/secret/);
    expect(message).not.toContain('SharedAccessKey');
  }
});

it('says what it expected when the file is not a deployment\'s outputs', () => {
  expect(() => settingsFromOutputs([1, 2], 'x.json')).toThrow(/x.json is not a deployment's outputs/);
});
