// The files the local services read at start: the exact text each writer produces, and what the
// writers put on disk (without Java: the Kafka folder is already formatted, Flink's distribution
// is a stand-in conf/).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  cassandraYaml,
  distributionJavaOptions,
  flinkConfigYaml,
  kafkaClusterId,
  kafkaFiles,
  kafkaServerProperties,
  plaintextListeners,
  prepareCassandra,
  prepareFlink,
  prepareKafka,
  propertiesText,
} from '../../../stack/service-config.js';

const address = { host: '127.0.0.1', port: 19092, controllerPort: 19093 };
const flinkSettings = {
  host: '127.0.0.1',
  dir: '/state/flink',
  ports: { flinkRest: 18081, flinkRpc: 16123, sqlGateway: 18083, flinkPrometheusFirst: 19249 },
  memory: { jobManagerProcessMb: 1280, taskManagerProcessMb: 3072 },
  taskSlots: 4,
};

describe('Kafka server.properties', () => {
  it('is a single-node KRaft broker with a plaintext listener and transactions as long as Flink keeps them', () => {
    expect(kafkaServerProperties({ ...address, dir: '/state/kafka', partitions: 4, listenerSettings: plaintextListeners(address) })).toBe(
      [
        'process.roles=broker,controller',
        'node.id=1',
        'listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
        'advertised.listeners=PLAINTEXT://127.0.0.1:19092',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'controller.listener.names=CONTROLLER',
        'controller.quorum.bootstrap.servers=127.0.0.1:19093',
        'log.dirs=/state/kafka/data',
        'num.partitions=4',
        'offsets.topic.replication.factor=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        'transaction.max.timeout.ms=900000',
        '',
      ].join('\n'),
    );
  });

  it('puts other listener settings where the plaintext ones were, and keeps none of those', () => {
    const text = kafkaServerProperties({
      ...address,
      dir: '/state/kafka',
      partitions: 2,
      listenerSettings: { listeners: 'SASL_SSL://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093', 'sasl.enabled.mechanisms': 'PLAIN' },
    });
    expect(text.split('\n').slice(0, 5)).toEqual([
      'process.roles=broker,controller',
      'node.id=1',
      'listeners=SASL_SSL://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
      'sasl.enabled.mechanisms=PLAIN',
      'controller.listener.names=CONTROLLER',
    ]);
    expect(text).not.toContain('PLAINTEXT://');
    expect(text).toContain('\nnum.partitions=2\n');
  });

  it('writes one key=value a line, in the order given, ending with a newline', () => {
    expect(propertiesText({ b: 1, a: 'x=y' })).toBe('b=1\na=x=y\n');
  });

  it('gives the storage tool a cluster id that cannot be read as an option', () => {
    // 0xf8 encodes as '-' first: the storage tool refused such an id ("argument --cluster-id/-t: expected one argument").
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)];
    let calls = 0;
    const random = (size: number): Buffer => (calls += 1, draws.shift()!.subarray(0, size));
    expect(Buffer.alloc(16, 0xf8).toString('base64url')).toMatch(/^-/);
    expect(kafkaClusterId(random)).toBe(Buffer.alloc(16, 0x01).toString('base64url'));
    expect(calls).toBe(2);
    expect(kafkaClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});

describe('cassandra.yaml', () => {
  const settings = { host: '127.0.0.1', dir: '/state/cassandra', port: 19042, storagePort: 17000 };

  it('is one node on the given ports with its folders under its state folder', () => {
    expect(cassandraYaml(settings)).toBe(`cluster_name: tipstream
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
commitlog_sync: batch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: 127.0.0.1:17000
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: 17000
native_transport_port: 19042
start_native_transport: true
endpoint_snitch: SimpleSnitch
data_file_directories:
  - /state/cassandra/data
commitlog_directory: /state/cassandra/commitlog
saved_caches_directory: /state/cassandra/saved_caches
hints_directory: /state/cassandra/hints
cdc_raw_directory: /state/cassandra/cdc_raw
concurrent_reads: 8
concurrent_writes: 16
concurrent_counter_writes: 8
`);
  });

  it('adds extra settings after its own', () => {
    const text = cassandraYaml({ ...settings, extraSettings: { authenticator: 'PasswordAuthenticator', client_encryption_options: { enabled: true, keystore: '/k.jks' } } });
    expect(text.endsWith('concurrent_counter_writes: 8\nauthenticator: PasswordAuthenticator\nclient_encryption_options:\n  enabled: true\n  keystore: /k.jks\n')).toBe(true);
  });
});

describe("Flink's config.yaml", () => {
  const config = parseYaml(flinkConfigYaml({ ...flinkSettings, javaOptions: '--add-opens=java.base/java.lang=ALL-UNNAMED' }));

  it('binds the JobManager, TaskManager, REST API and SQL Gateway to the host and the configured ports', () => {
    expect(config.jobmanager).toEqual({
      'bind-host': '127.0.0.1',
      rpc: { address: '127.0.0.1', port: 16123 },
      memory: { process: { size: '1280m' } },
      execution: { 'failover-strategy': 'region' },
    });
    expect(config.taskmanager).toEqual({ 'bind-host': '127.0.0.1', host: '127.0.0.1', numberOfTaskSlots: 4, memory: { process: { size: '3072m' } }, 'load-balance': { mode: 'SLOTS' } });
    expect(config.rest).toEqual({ address: '127.0.0.1', 'bind-address': '127.0.0.1', port: 18081 });
    expect(config['sql-gateway']).toEqual({ endpoint: { rest: { address: '127.0.0.1', 'bind-address': '127.0.0.1', port: 18083 } } });
  });

  it("gives the Prometheus reporter eleven ports from the first, and keeps the distribution's Java options", () => {
    expect(config.metrics.reporter.prom).toEqual({ 'factory.class': 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory', host: '127.0.0.1', port: '19249-19259' });
    expect(config.env).toEqual({ java: { opts: { all: '--add-opens=java.base/java.lang=ALL-UNNAMED', taskmanager: '-XX:+UseParallelGC' } }, log: { dir: '/state/flink/log' }, pid: { dir: '/state/flink/pid' } });
  });

  it('keeps checkpoints, savepoints and temporary files under its state folder and submits to the session cluster', () => {
    expect(config.execution).toEqual({ target: 'remote', checkpointing: { dir: 'file:///state/flink/checkpoints', 'savepoint-dir': 'file:///state/flink/savepoints' } });
    expect(config.io).toEqual({ 'tmp.dirs': '/state/flink/tmp' });
    expect(config.parallelism).toEqual({ default: 1 });
  });

  it('lets a TaskManager notice a JobManager that was killed within 20 s (heartbeats every 5 s)', () => {
    expect(config.heartbeat).toEqual({ interval: 5000, timeout: 20000 });
  });

  it("reads the distribution's Java options, empty when it has none", () => {
    expect(distributionJavaOptions('env:\n  java:\n    opts:\n      all: -Xss2m --add-opens=a\n')).toBe('-Xss2m --add-opens=a');
    expect(distributionJavaOptions('jobmanager:\n  rpc:\n    port: 6123\n')).toBe('');
  });
});

describe('the writers', () => {
  it('write Kafka its two files, and leave formatted storage alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tipstream-kafka-conf-'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'meta.properties'), 'formatted\n');
    const files = kafkaFiles(dir);
    // A java that cannot run: formatting would fail the test.
    await prepareKafka(files, { ...address, dir, partitions: 4, listenerSettings: plaintextListeners(address) }, '/nonexistent/java', '/nonexistent/*');
    expect(readFileSync(files.properties, 'utf8')).toContain(`log.dirs=${join(dir, 'data')}\n`);
    expect(readFileSync(files.log4j, 'utf8')).toContain('logger.kafka.level = warn\n');
    expect(readFileSync(join(dir, 'data', 'meta.properties'), 'utf8')).toBe('formatted\n');
  });

  it("write Cassandra its yaml, its logback.xml and the folders the yaml names", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tipstream-cassandra-conf-'));
    await prepareCassandra({ host: '127.0.0.1', dir, port: 19042, storagePort: 17000 });
    expect(readdirSync(dir).sort()).toEqual(['cassandra.yaml', 'cdc_raw', 'commitlog', 'data', 'hints', 'logback.xml', 'logs', 'saved_caches']);
    expect(parseYaml(readFileSync(join(dir, 'cassandra.yaml'), 'utf8')).native_transport_port).toBe(19042);
    expect(readFileSync(join(dir, 'logback.xml'), 'utf8')).toContain('<logger name="org.apache.cassandra" level="INFO"/>');
  });

  it("write Flink's conf/ from the distribution's, with the HTTP lookup connector's per-request log at WARN", async () => {
    const flinkHome = mkdtempSync(join(tmpdir(), 'tipstream-flink-home-'));
    mkdirSync(join(flinkHome, 'conf'));
    writeFileSync(join(flinkHome, 'conf', 'config.yaml'), 'env:\n  java:\n    opts:\n      all: --add-opens=x\n');
    writeFileSync(join(flinkHome, 'conf', 'log4j-console.properties'), 'rootLogger.level = INFO\n');
    writeFileSync(join(flinkHome, 'conf', 'logback-console.xml'), '<configuration/>\n');
    const dir = mkdtempSync(join(tmpdir(), 'tipstream-flink-conf-'));
    await prepareFlink({ ...flinkSettings, dir }, flinkHome);
    expect(readdirSync(dir).sort()).toEqual(['checkpoints', 'conf', 'log', 'pid', 'savepoints', 'tmp']);
    expect(parseYaml(readFileSync(join(dir, 'conf', 'config.yaml'), 'utf8')).env.java.opts.all).toBe('--add-opens=x');
    expect(readFileSync(join(dir, 'conf', 'log4j-console.properties'), 'utf8')).toBe(
      'rootLogger.level = INFO\n\n'
        + 'logger.httplookup.name = com.getindata.connectors.http.internal.table.lookup.Slf4JHttpLookupPostRequestCallback\n'
        + 'logger.httplookup.level = WARN\n',
    );
    expect(readFileSync(join(dir, 'conf', 'logback-console.xml'), 'utf8')).toBe('<configuration/>\n');
  });
});
