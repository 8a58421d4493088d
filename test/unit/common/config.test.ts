import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInDefaults, envName, loadConfig } from '../../../common/config.js';
import { ConfigError } from '../../../common/errors.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tipstream-config-'));
}

const baseEnv = { HOME: '/home/someone' };

describe('loadConfig', () => {
  it('uses the defaults when nothing else is given', () => {
    const config = loadConfig({ env: baseEnv, cwd: tempDir() });
    expect(config.stack.ports.kafka).toBe(9092);
    expect(config.kafka.bootstrapServers).toBe('127.0.0.1:9092');
    expect(config.flink.restUrl).toBe('http://127.0.0.1:8081');
    expect(config.flink.sqlGatewayUrl).toBe('http://127.0.0.1:8083');
    expect(config.cacheDir).toBe('/home/someone/.cache/tipstream');
    expect(config.kafka.rideTopic).toBe('taxi-rides');
  });

  it('applies defaults < file < environment < flags, key by key', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'tipstream.config.yaml'), 'stack:\n  ports:\n    kafka: 19092\n    cassandra: 19042\n    flinkRest: 18081\nkafka:\n  partitions: 8\n');
    const config = loadConfig({
      cwd,
      env: { ...baseEnv, TIPSTREAM_STACK_PORTS_CASSANDRA: '29042', TIPSTREAM_STACK_PORTS_FLINK_REST: '28081' },
      overrides: { stack: { ports: { flinkRest: 38081 } } },
    });
    expect(config.stack.ports.kafka).toBe(19092); // file over default
    expect(config.stack.ports.cassandra).toBe(29042); // environment over file
    expect(config.stack.ports.flinkRest).toBe(38081); // flag over environment
    expect(config.kafka.partitions).toBe(8);
    expect(config.kafka.bootstrapServers).toBe('127.0.0.1:19092'); // derived from the chosen port
    expect(config.cassandra.port).toBe(29042);
  });

  it('reads the file named by TIPSTREAM_CONFIG or the file option', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'custom.json'), JSON.stringify({ kafka: { rideTopic: 'rides-from-file' } }));
    expect(loadConfig({ cwd, env: { ...baseEnv, TIPSTREAM_CONFIG: 'custom.json' } }).kafka.rideTopic).toBe('rides-from-file');
    expect(loadConfig({ cwd, env: baseEnv, file: join(cwd, 'custom.json') }).kafka.rideTopic).toBe('rides-from-file');
  });

  it('names the setting and the environment variable of a bad value', () => {
    expect(() => loadConfig({ env: { ...baseEnv, TIPSTREAM_STACK_PORTS_KAFKA: 'ninety' }, cwd: tempDir() })).toThrow(
      /invalid setting stack\.ports\.kafka from TIPSTREAM_STACK_PORTS_KAFKA/,
    );
  });

  it('names the flag of a bad value', () => {
    expect(() =>
      loadConfig({ env: baseEnv, cwd: tempDir(), overrides: { stack: { ports: { sqlGateway: 70000 } } }, overrideNames: { 'stack.ports.sqlGateway': '--sql-gateway-port' } }),
    ).toThrow(/stack\.ports\.sqlGateway from --sql-gateway-port/);
  });

  it('rejects an unknown setting in a config file, naming it and the file', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'tipstream.config.yaml'), 'kafka:\n  rideTopik: x\n');
    expect(() => loadConfig({ env: baseEnv, cwd })).toThrow(ConfigError);
    expect(() => loadConfig({ env: baseEnv, cwd })).toThrow(/kafka\.rideTopik.*config file tipstream\.config\.yaml|config file tipstream\.config\.yaml.*kafka\.rideTopik/);
  });

  it('rejects a topic name that could smuggle SQL', () => {
    expect(() => loadConfig({ env: { ...baseEnv, TIPSTREAM_KAFKA_RIDE_TOPIC: "rides' , 'x' = 'y" }, cwd: tempDir() })).toThrow(/kafka\.rideTopic/);
  });

  it('says clearly when the config file is not valid YAML', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'bad.yaml'), 'kafka: [unclosed');
    expect(() => loadConfig({ env: baseEnv, cwd, file: 'bad.yaml' })).toThrow(/bad\.yaml is not valid YAML or JSON/);
  });

  it('says clearly when the config file does not exist', () => {
    expect(() => loadConfig({ env: baseEnv, cwd: tempDir(), file: 'missing.yaml' })).toThrow(/cannot read config file .*missing\.yaml/);
  });

  it('derives the Event Hubs Kafka endpoint from a connection string, unless an address is set anywhere', () => {
    const env = { ...baseEnv, TIPSTREAM_KAFKA_CONNECTION_STRING: 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=secret' };
    expect(loadConfig({ env, cwd: tempDir() }).kafka.bootstrapServers).toBe('ns.servicebus.windows.net:9093');
    const cwd = tempDir();
    writeFileSync(join(cwd, 'tipstream.config.yaml'), 'kafka:\n  bootstrapServers: broker:9093\n');
    expect(loadConfig({ env, cwd }).kafka.bootstrapServers).toBe('broker:9093');
    expect(loadConfig({ env, cwd: tempDir(), overrides: { kafka: { bootstrapServers: 'flag:9093' } } }).kafka.bootstrapServers).toBe('flag:9093');
  });

  it('checks durations with the one grammar when loading, so a bad one never reaches deploy', () => {
    expect(loadConfig({ env: baseEnv, cwd: tempDir(), overrides: { job: { windowSize: '5 m' } } }).job.windowSize).toBe('5 m');
    expect(() => loadConfig({ env: baseEnv, cwd: tempDir(), overrides: { job: { windowSize: '5 fortnights' } }, overrideNames: { 'job.windowSize': '--window' } })).toThrow(
      /invalid setting job.windowSize from --window: must look like/,
    );
    expect(() => loadConfig({ env: baseEnv, cwd: tempDir(), overrides: { job: { idleTimeout: '0 s' } } })).toThrow(/job.idleTimeout .*longer than 0/);
  });

  it('puts a command\'s own defaults under the config file, the environment and the flags', () => {
    const commandDefaults = { job: { windowSize: '1 minute' }, logLevel: 'warn' };
    expect(loadConfig({ env: baseEnv, cwd: tempDir(), commandDefaults }).job.windowSize).toBe('1 minute');
    const cwd = tempDir();
    writeFileSync(join(cwd, 'tipstream.config.yaml'), 'job:\n  windowSize: 5 minutes\n');
    expect(loadConfig({ env: baseEnv, cwd, commandDefaults }).job.windowSize).toBe('5 minutes');
    expect(loadConfig({ env: { ...baseEnv, TIPSTREAM_LOG_LEVEL: 'debug' }, cwd: tempDir(), commandDefaults }).logLevel).toBe('debug');
    expect(loadConfig({ env: baseEnv, cwd: tempDir(), commandDefaults }).logLevel).toBe('warn');
  });

  it('has built-in defaults independent of the environment, for the help texts', () => {
    expect(builtInDefaults().kafka.bootstrapServers).toBe('127.0.0.1:9092');
    expect(builtInDefaults().job.windowSize).toBe('1 hour');
  });

  it('spells environment variables from setting paths', () => {
    expect(envName('stack.ports.flinkRest')).toBe('TIPSTREAM_STACK_PORTS_FLINK_REST');
    expect(envName('cacheDir')).toBe('TIPSTREAM_CACHE_DIR');
  });

  it('addresses the job and the udf-service as containers see them when the stack runs in containers', () => {
    const local = loadConfig({ env: baseEnv, cwd: tempDir() });
    expect(local.job.kafkaBootstrapServers).toBe('127.0.0.1:9092');
    expect(local.job.udfLookupUrl).toBe('http://127.0.0.1:8090/lookup');
    expect(local.udf.bindAddress).toBe('127.0.0.1');
    const inContainers = loadConfig({ env: { ...baseEnv, TIPSTREAM_STACK_PROVIDER: 'testcontainers' }, cwd: tempDir() });
    expect(inContainers.kafka.bootstrapServers).toBe('127.0.0.1:9092');
    expect(inContainers.job.kafkaBootstrapServers).toBe('kafka:19092');
    expect(inContainers.job.udfLookupUrl).toBe('http://host.containers.internal:8090/lookup');
    expect(inContainers.udf.bindAddress).toBe('0.0.0.0');
    // A Kafka of one's own (or Event Hubs) is the job's Kafka too, containers or not.
    const ownKafka = loadConfig({ env: { ...baseEnv, TIPSTREAM_STACK_PROVIDER: 'testcontainers', TIPSTREAM_KAFKA_BOOTSTRAP_SERVERS: 'broker.example:9092' }, cwd: tempDir() });
    expect(ownKafka.job.kafkaBootstrapServers).toBe('broker.example:9092');
    const chosen = loadConfig({ env: { ...baseEnv, TIPSTREAM_STACK_PROVIDER: 'testcontainers', TIPSTREAM_JOB_KAFKA_BOOTSTRAP_SERVERS: 'kafka-1:19092', TIPSTREAM_UDF_BIND_ADDRESS: '10.89.0.1' }, cwd: tempDir() });
    expect(chosen.job.kafkaBootstrapServers).toBe('kafka-1:19092');
    expect(chosen.udf.bindAddress).toBe('10.89.0.1');
  });

  it('takes the provider from the containers recorded in the state folder, unless one is named', () => {
    const stateDir = tempDir();
    expect(loadConfig({ env: { ...baseEnv, TIPSTREAM_STATE_DIR: stateDir }, cwd: tempDir() }).stack.provider).toBe('local');
    writeFileSync(join(stateDir, 'containers.json'), '{"provider":"testcontainers","containers":[]}\n');
    expect(loadConfig({ env: { ...baseEnv, TIPSTREAM_STATE_DIR: stateDir }, cwd: tempDir() }).stack.provider).toBe('testcontainers');
    expect(loadConfig({ env: { ...baseEnv, TIPSTREAM_STATE_DIR: stateDir, TIPSTREAM_STACK_PROVIDER: 'local' }, cwd: tempDir() }).stack.provider).toBe('local');
  });

  it('relays into Cassandra alone by default, and into the sinks TIPSTREAM_RELAY_SINKS lists', () => {
    const cwd = tempDir();
    expect(loadConfig({ env: baseEnv, cwd }).relay.sinks).toEqual(['cassandra']);
    expect(loadConfig({ env: { ...baseEnv, TIPSTREAM_RELAY_SINKS: 'cassandra, files' }, cwd }).relay.sinks).toEqual(['cassandra', 'files']);
    expect(loadConfig({ env: baseEnv, cwd, overrides: { relay: { sinks: ['files'] } } }).relay.sinks).toEqual(['files']);
  });

  it('names the setting, where it came from and the known sinks when a sink is unknown, missing or listed twice', () => {
    const cwd = tempDir();
    expect(() => loadConfig({ env: { ...baseEnv, TIPSTREAM_RELAY_SINKS: 'cassandra,parquet' }, cwd })).toThrow(
      /invalid setting relay\.sinks\.1 from TIPSTREAM_RELAY_SINKS: unknown sink 'parquet': one of cassandra, files/,
    );
    expect(() => loadConfig({ env: baseEnv, cwd, overrides: { relay: { sinks: [] } }, overrideNames: { 'relay.sinks': '--sinks' } })).toThrow(/invalid setting relay\.sinks from --sinks: at least one of cassandra, files/);
    expect(() => loadConfig({ env: { ...baseEnv, TIPSTREAM_RELAY_SINKS: 'files,files' }, cwd })).toThrow(/relay\.sinks from TIPSTREAM_RELAY_SINKS: names a sink more than once/);
  });

  it("puts the files sink's folder in the state folder unless one is set, relative to the working folder", () => {
    const cwd = tempDir();
    expect(loadConfig({ env: baseEnv, cwd }).relay.filesDir).toBe('/home/someone/.local/state/tipstream/results');
    expect(loadConfig({ env: { ...baseEnv, TIPSTREAM_RELAY_FILES_DIR: 'out/results' }, cwd }).relay.filesDir).toBe(join(cwd, 'out', 'results'));
    expect(envName('relay.filesDir')).toBe('TIPSTREAM_RELAY_FILES_DIR');
  });
});
