// The files each local service reads at start (Kafka's server.properties, cassandra.yaml, Flink's
// config.yaml and log settings), and the folders and storage they need. The text comes from pure
// functions (test/unit/stack/service-config.test.ts); the writers put it in place.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { ResolvedConfig } from '../common/config.js';
import { KAFKA_TRANSACTION_TIMEOUT_MS } from '../clients/index.js';
import { runToCompletion } from './java.js';

/** A `.properties` file: keys in the order given. */
export type Properties = Record<string, string | number>;

export function propertiesText(values: Properties): string {
  return `${Object.entries(values).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
}

/** Where a Kafka broker listens: its client port and its KRaft controller port. */
export interface KafkaListenerAddress {
  host: string;
  port: number;
  controllerPort: number;
}

/** The listener settings of the local stack's broker: plaintext for clients, plaintext for the controller. */
export function plaintextListeners({ host, port, controllerPort }: KafkaListenerAddress): Properties {
  return {
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
  };
}

export interface KafkaServerSettings extends KafkaListenerAddress {
  dir: string;
  partitions: number;
  /** Listeners and their security, in place of the plaintext ones. */
  listenerSettings: Properties;
}

/** server.properties of a single-node KRaft broker and controller. */
export function kafkaServerProperties({ host, controllerPort, dir, partitions, listenerSettings }: KafkaServerSettings): string {
  return propertiesText({
    'process.roles': 'broker,controller',
    'node.id': 1,
    ...listenerSettings,
    'controller.listener.names': 'CONTROLLER',
    'controller.quorum.bootstrap.servers': `${host}:${controllerPort}`,
    'log.dirs': join(dir, 'data'),
    'num.partitions': partitions,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // Flink's exactly-once sink keeps transactions open up to its checkpoint timeout.
    'transaction.max.timeout.ms': KAFKA_TRANSACTION_TIMEOUT_MS,
  });
}

/** Kafka's log4j2.properties: its own chatter at WARN. */
export const kafkaLog4jText = [
  'status = warn',
  'appender.console.type = Console',
  'appender.console.name = console',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = info',
  'rootLogger.appenderRef.console.ref = console',
  'logger.kafka.name = kafka',
  'logger.kafka.level = warn',
  'logger.state.name = state.change.logger',
  'logger.state.level = warn',
  '',
].join('\n');

export interface KafkaFiles {
  dir: string;
  properties: string;
  log4j: string;
}

export function kafkaFiles(dir: string): KafkaFiles {
  return { dir, properties: join(dir, 'server.properties'), log4j: join(dir, 'log4j2.properties') };
}

/** Writes the broker's files and formats its storage once (a formatted folder holds meta.properties). */
export async function prepareKafka(files: KafkaFiles, settings: KafkaServerSettings, java: string, classpath: string): Promise<void> {
  const { dir, properties, log4j } = files;
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(properties, kafkaServerProperties(settings));
  await writeFile(log4j, kafkaLog4jText);
  if (!existsSync(join(dir, 'data', 'meta.properties'))) {
    await runToCompletion(java, [
      '-cp', classpath, `-Dlog4j2.configurationFile=${log4j}`, 'kafka.tools.StorageTool',
      'format', '-t', kafkaClusterId(), '-c', properties, '--standalone',
    ], 'formatting Kafka storage');
  }
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64 without padding, never one that starts
 * with '-': the storage tool would read such an id as an option and refuse to format (1 id in 64).
 * Kafka's own random ids skip them too.
 */
export function kafkaClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface CassandraSettings {
  host: string;
  dir: string;
  port: number;
  storagePort: number;
  /** Settings added to cassandra.yaml after the local stack's own (authentication, client encryption). */
  extraSettings?: Record<string, unknown>;
}

/** cassandra.yaml of one local node. */
export function cassandraYaml({ host, dir, port, storagePort, extraSettings = {} }: CassandraSettings): string {
  return stringifyYaml({
    cluster_name: 'tipstream',
    num_tokens: 1,
    partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
    // A write is acknowledged only once its commit log entry is synced. With 'periodic' (10 s), a
    // node killed with -9 came back without the rows it had acknowledged in its last seconds (the
    // fault suite lost a whole window): replay stops at the last sync marker. One node has no
    // replica to cover that, and the relay's writes are few.
    commitlog_sync: 'batch',
    seed_provider: [{ class_name: 'org.apache.cassandra.locator.SimpleSeedProvider', parameters: [{ seeds: `${host}:${storagePort}` }] }],
    listen_address: host,
    rpc_address: host,
    storage_port: storagePort,
    native_transport_port: port,
    start_native_transport: true,
    endpoint_snitch: 'SimpleSnitch',
    data_file_directories: [join(dir, 'data')],
    commitlog_directory: join(dir, 'commitlog'),
    saved_caches_directory: join(dir, 'saved_caches'),
    hints_directory: join(dir, 'hints'),
    cdc_raw_directory: join(dir, 'cdc_raw'),
    // One node on a small machine: no need for the defaults' 32 concurrent writers.
    concurrent_reads: 8,
    concurrent_writes: 16,
    concurrent_counter_writes: 8,
    ...extraSettings,
  });
}

/** Cassandra's logback.xml: everything to the console, which the launcher sends to the log file. */
export const cassandraLogbackText = [
  '<configuration>',
  '  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">',
  '    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>',
  '  </appender>',
  '  <root level="INFO"><appender-ref ref="STDOUT"/></root>',
  '  <logger name="org.apache.cassandra" level="INFO"/>',
  '</configuration>',
  '',
].join('\n');

export interface CassandraFiles {
  yamlFile: string;
  logback: string;
}

export function cassandraFiles(dir: string): CassandraFiles {
  return { yamlFile: join(dir, 'cassandra.yaml'), logback: join(dir, 'logback.xml') };
}

export async function prepareCassandra(settings: CassandraSettings): Promise<void> {
  const { dir } = settings;
  const { yamlFile, logback } = cassandraFiles(dir);
  for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw', 'logs']) await mkdir(join(dir, sub), { recursive: true });
  await writeFile(yamlFile, cassandraYaml(settings));
  await writeFile(logback, cassandraLogbackText);
}

export interface FlinkSettings {
  host: string;
  dir: string;
  ports: Pick<ResolvedConfig['stack']['ports'], 'flinkRest' | 'flinkRpc' | 'sqlGateway' | 'flinkPrometheusFirst'>;
  memory: Pick<ResolvedConfig['stack']['memory'], 'jobManagerProcessMb' | 'taskManagerProcessMb'>;
  taskSlots: number;
  /** `env.java.opts.all` of the distribution's own config.yaml (the module flags Flink needs). */
  javaOptions: string;
}

/**
 * `env.java.opts.taskmanager`: the TaskManager collects garbage with the parallel collector, not
 * the JVM's default G1. The job allocates a few short-lived objects per record and field; G1's
 * write barriers and concurrent work cost it 23% of its throughput on 2 cores
 * (README, Benchmarks: 4M trips, the same job on the same topics, G1 against parallel). Its
 * young collections stop the job for milliseconds on this heap, within a checkpoint interval.
 */
export const taskManagerJavaOptions = '-XX:+UseParallelGC';

/** Flink's conf/config.yaml for the session cluster, its SQL Gateway and its Prometheus reporter. */
export function flinkConfigYaml({ host, dir, ports, memory, taskSlots, javaOptions }: FlinkSettings): string {
  const { flinkRest, flinkRpc, sqlGateway, flinkPrometheusFirst } = ports;
  return stringifyYaml({
    env: {
      java: { opts: { all: javaOptions, taskmanager: taskManagerJavaOptions } },
      log: { dir: join(dir, 'log') },
      pid: { dir: join(dir, 'pid') },
    },
    jobmanager: {
      'bind-host': host,
      rpc: { address: host, port: flinkRpc },
      memory: { process: { size: `${memory.jobManagerProcessMb}m` } },
      execution: { 'failover-strategy': 'region' },
    },
    taskmanager: {
      'bind-host': host,
      host,
      numberOfTaskSlots: taskSlots,
      memory: { process: { size: `${memory.taskManagerProcessMb}m` } },
      // A job's slots spread evenly over the TaskManagers instead of filling the first: with
      // several, a lost TaskManager takes only its share of each job, and a job of parallelism 4
      // on two of them uses both.
      'load-balance': { mode: 'SLOTS' },
    },
    parallelism: { default: 1 },
    // A JobManager that comes back after a kill has lost its TaskManager, which only notices when
    // its heartbeats time out: 50 s by default, which made most of the 45 s before a resumed
    // live job had slots again. One machine, no network between them: 20 s is still generous.
    heartbeat: { interval: 5_000, timeout: 20_000 },
    rest: { address: host, 'bind-address': host, port: flinkRest },
    execution: { target: 'remote', checkpointing: { dir: `file://${join(dir, 'checkpoints')}`, 'savepoint-dir': `file://${join(dir, 'savepoints')}` } },
    io: { 'tmp.dirs': join(dir, 'tmp') },
    metrics: {
      reporter: {
        prom: {
          'factory.class': 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
          host,
          port: `${flinkPrometheusFirst}-${flinkPrometheusFirst + 10}`,
        },
      },
    },
    'sql-gateway': { endpoint: { rest: { address: host, 'bind-address': host, port: sqlGateway } } },
  });
}

/** `env.java.opts.all` of a Flink distribution's config.yaml, '' when it has none. */
export function distributionJavaOptions(distributionConfigYaml: string): string {
  const distConfig = parseYaml(distributionConfigYaml) as { env?: { java?: { opts?: { all?: string } } } };
  return distConfig.env?.java?.opts?.all ?? '';
}

/** Appended to the distribution's log4j-console.properties. */
export const flinkLog4jAddition = [
  '',
  // The HTTP lookup connector logs every request and response at INFO, a log entry per lookup.
  'logger.httplookup.name = com.getindata.connectors.http.internal.table.lookup.Slf4JHttpLookupPostRequestCallback',
  'logger.httplookup.level = WARN',
  '',
].join('\n');

/** Writes conf/ (config.yaml and the distribution's console log settings) and the folders Flink uses. */
export async function prepareFlink(settings: Omit<FlinkSettings, 'javaOptions'>, flinkHome: string): Promise<void> {
  const { dir } = settings;
  const confDir = join(dir, 'conf');
  for (const sub of ['conf', 'log', 'pid', 'tmp', 'checkpoints', 'savepoints']) await mkdir(join(dir, sub), { recursive: true });
  const javaOptions = distributionJavaOptions(await readFile(join(flinkHome, 'conf', 'config.yaml'), 'utf8'));
  await writeFile(join(confDir, 'config.yaml'), flinkConfigYaml({ ...settings, javaOptions }));
  for (const file of ['log4j-console.properties', 'logback-console.xml']) {
    await copyFile(join(flinkHome, 'conf', file), join(confDir, file));
  }
  await appendFile(join(confDir, 'log4j-console.properties'), flinkLog4jAddition);
}
