// The five local services: how each is configured, launched and probed for readiness.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import axios from 'axios';
import cassandra from 'cassandra-driver';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { childEnvironment, type ResolvedConfig } from '../common/config.js';
import { InfrastructureError } from '../common/errors.js';
import { KAFKA_TRANSACTION_TIMEOUT_MS, kafkaConnection, SqlGatewayClient } from '../clients/index.js';
import type { ResolvedArtifacts } from './artifacts.js';
import { runToCompletion } from './java.js';
import { listeningPorts, type LaunchSpec } from './processes.js';
import type { ServiceName } from './types.js';

export interface LocalService {
  service: ServiceName;
  /** What `stack status` shows. */
  address: string;
  /** Ports this service will listen on, checked before it starts. */
  ports: number[];
  logFile: string;
  /** Writes configuration files and prepares storage; safe to run again. */
  prepare(): Promise<void>;
  launch(): LaunchSpec;
  /** One readiness check: true when the service really answers. */
  probe(): Promise<boolean>;
  /**
   * What `stack status` asks, where the readiness check has effects a status must not have (the
   * SQL Gateway's SELECT 1 submits a job, left FAILED in Flink while the TaskManager is away).
   */
  check?(): Promise<boolean>;
  /**
   * Whether the service answers as this very process, where the probe cannot tell (the JobManager
   * lists a TaskManager that was just killed beside the one started to replace it).
   */
  probeProcess?(pid: number): Promise<boolean>;
}

/** The TaskManager misses heartbeats every 10 s; after this long without one it is gone, though still listed. */
export const TASKMANAGER_HEARTBEAT_STALE_MS = 25_000;

export interface ServiceContext {
  config: ResolvedConfig;
  artifacts: ResolvedArtifacts;
  java: string;
}

export function stateFolder(config: ResolvedConfig, service: string): string {
  return join(config.stateDir, service);
}

export function logFileOf(config: ResolvedConfig, service: ServiceName): string {
  return join(config.stateDir, 'logs', `${service}.log`);
}

/** Start order; `stack down` stops in reverse. */
export function localServices(context: ServiceContext): LocalService[] {
  return [kafkaService(context), cassandraService(context), ...flinkServices(context)];
}

/**
 * An Event-Hubs-like Kafka: one SASL_SSL listener with this keystore, PLAIN, and the single user
 * `$ConnectionString` whose password is the connection string.
 */
export interface SecureKafkaOptions {
  dir: string;
  port: number;
  controllerPort: number;
  keystore: string;
  keystorePassword: string;
  /** PEM of the certificate: the broker trusts it for its own connections, clients are given it. */
  caFile: string;
  connectionString: string;
}

export function kafkaService({ config, artifacts, java }: ServiceContext, secure?: SecureKafkaOptions): LocalService {
  const { host } = config;
  const port = secure?.port ?? config.stack.ports.kafka;
  const controllerPort = secure?.controllerPort ?? config.stack.ports.kafkaController;
  const dir = secure?.dir ?? stateFolder(config, 'kafka');
  const logFile = secure ? join(dir, 'kafka.log') : logFileOf(config, 'kafka');
  if (secure && /["\\]/.test(secure.connectionString)) throw new Error('the secure Kafka connection string must hold no " or \\');
  const listenerSettings: Record<string, string | number> = secure
    ? {
        listeners: `SASL_SSL://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
        'advertised.listeners': `SASL_SSL://${host}:${port}`,
        'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name': 'SASL_SSL',
        'sasl.enabled.mechanisms': 'PLAIN',
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        'listener.name.sasl_ssl.plain.sasl.jaas.config':
          `org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" password="${secure.connectionString}" user_$ConnectionString="${secure.connectionString}";`,
        'ssl.keystore.type': 'JKS',
        'ssl.keystore.location': secure.keystore,
        'ssl.keystore.password': secure.keystorePassword,
        'ssl.key.password': secure.keystorePassword,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': secure.caFile,
      }
    : {
        listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
        'advertised.listeners': `PLAINTEXT://${host}:${port}`,
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      };
  const properties = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j2.properties');
  const classpath = `${artifacts.kafkaLibDir}/*`;
  return {
    service: 'kafka',
    address: `${host}:${port}`,
    ports: [port, controllerPort],
    logFile,
    async prepare() {
      await mkdir(join(dir, 'data'), { recursive: true });
      await writeFile(properties, propertiesText({
        'process.roles': 'broker,controller',
        'node.id': 1,
        ...listenerSettings,
        'controller.listener.names': 'CONTROLLER',
        'controller.quorum.bootstrap.servers': `${host}:${controllerPort}`,
        'log.dirs': join(dir, 'data'),
        'num.partitions': config.kafka.partitions,
        'offsets.topic.replication.factor': 1,
        'transaction.state.log.replication.factor': 1,
        'transaction.state.log.min.isr': 1,
        'share.coordinator.state.topic.replication.factor': 1,
        'share.coordinator.state.topic.min.isr': 1,
        'group.initial.rebalance.delay.ms': 0,
        // Flink's exactly-once sink keeps transactions open up to its checkpoint timeout.
        'transaction.max.timeout.ms': KAFKA_TRANSACTION_TIMEOUT_MS,
      }));
      await writeFile(log4j, [
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
      ].join('\n'));
      if (!existsSync(join(dir, 'data', 'meta.properties'))) {
        await runToCompletion(java, [
          '-cp', classpath, `-Dlog4j2.configurationFile=${log4j}`, 'kafka.tools.StorageTool',
          'format', '-t', kafkaClusterId(), '-c', properties, '--standalone',
        ], 'formatting Kafka storage');
      }
    },
    launch: () => ({
      command: java,
      args: [
        `-Xms256m`, `-Xmx${config.stack.memory.kafkaHeapMb}m`, '-XX:+UseG1GC',
        `-Dlog4j2.configurationFile=${log4j}`, '-cp', classpath, 'kafka.Kafka', properties,
      ],
      env: childEnvironment(),
      cwd: dir,
      logFile,
    }),
    async probe() {
      const admin = new Admin({
        clientId: 'tipstream-stack',
        retries: 0,
        timeout: 3000,
        ...kafkaConnection({ bootstrapServers: `${host}:${port}`, ...(secure ? { connectionString: secure.connectionString, caFile: secure.caFile } : {}) }),
      });
      try {
        await admin.listTopics();
        return true;
      } finally {
        await admin.close().catch(() => undefined);
      }
    },
  };
}

/** A Kafka cluster id: 16 random bytes in URL-safe base64 without padding. */
function kafkaClusterId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * A Cosmos-like Cassandra: client TLS with this keystore and PasswordAuthenticator (whose
 * `cassandra`/`cassandra` superuser Cassandra creates a few seconds after start).
 */
export interface SecureCassandraOptions {
  dir: string;
  port: number;
  storagePort: number;
  keystore: string;
  keystorePassword: string;
  /** PEM of the certificate, for the readiness probe. */
  caFile: string;
}

export function cassandraService({ config, artifacts, java }: ServiceContext, secure?: SecureCassandraOptions): LocalService {
  const { host } = config;
  const port = secure?.port ?? config.stack.ports.cassandra;
  const storagePort = secure?.storagePort ?? config.stack.ports.cassandraStorage;
  const dir = secure?.dir ?? stateFolder(config, 'cassandra');
  const logFile = secure ? join(dir, 'cassandra.log') : logFileOf(config, 'cassandra');
  const yamlFile = join(dir, 'cassandra.yaml');
  const logback = join(dir, 'logback.xml');
  return {
    service: 'cassandra',
    address: `${host}:${port}`,
    ports: [port, storagePort],
    logFile,
    async prepare() {
      for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw', 'logs']) await mkdir(join(dir, sub), { recursive: true });
      const security = secure
        ? {
            authenticator: 'PasswordAuthenticator',
            client_encryption_options: { enabled: true, optional: false, keystore: secure.keystore, keystore_password: secure.keystorePassword, require_client_auth: false },
          }
        : {};
      await writeFile(yamlFile, stringifyYaml({
        cluster_name: 'tipstream',
        num_tokens: 1,
        partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
        commitlog_sync: 'periodic',
        commitlog_sync_period: '10000ms',
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
        ...security,
      }));
      await writeFile(logback, [
        '<configuration>',
        '  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">',
        '    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>',
        '  </appender>',
        '  <root level="INFO"><appender-ref ref="STDOUT"/></root>',
        '  <logger name="org.apache.cassandra" level="INFO"/>',
        '</configuration>',
        '',
      ].join('\n'));
    },
    launch: () => ({
      command: java,
      args: [
        `-Xms${config.stack.memory.cassandraHeapMb}m`, `-Xmx${config.stack.memory.cassandraHeapMb}m`,
        ...cassandraJava17Options,
        `-Dcassandra.config=file://${yamlFile}`,
        `-Dcassandra.storagedir=${dir}`,
        `-Dcassandra.logdir=${join(dir, 'logs')}`,
        '-Dcassandra-foreground=yes',
        `-Dlogback.configurationFile=${logback}`,
        // One local node: skip the waits meant for multi-node clusters.
        '-Dcassandra.skip_wait_for_gossip_to_settle=0',
        '-Dcassandra.ring_delay_ms=0',
        '-Dcassandra.unsafesystem=true',
        '-cp', `${artifacts.cassandraLibDir}/*`,
        'org.apache.cassandra.service.CassandraDaemon',
      ],
      env: childEnvironment(),
      cwd: dir,
      logFile,
    }),
    async probe() {
      const client = new cassandra.Client({
        contactPoints: [`${host}:${port}`],
        localDataCenter: 'datacenter1',
        socketOptions: { connectTimeout: 3000, readTimeout: 5000 },
        ...(secure
          ? { sslOptions: { ca: [await readFile(secure.caFile)], rejectUnauthorized: true }, authProvider: new cassandra.auth.PlainTextAuthProvider('cassandra', 'cassandra') }
          : {}),
      });
      try {
        await client.connect();
        const result = await client.execute('SELECT release_version FROM system.local');
        return result.rows.length === 1;
      } finally {
        await client.shutdown().catch(() => undefined);
      }
    },
  };
}

/** From Cassandra 5.0's conf/jvm17-server.options (G1 and the module flags it needs on Java 17). */
const cassandraJava17Options = [
  '-XX:+UseG1GC', '-XX:+ParallelRefProcEnabled', '-XX:MaxTenuringThreshold=1', '-XX:G1HeapRegionSize=16m',
  '-XX:G1RSetUpdatingPauseTimePercent=5', '-XX:MaxGCPauseMillis=300', '-XX:InitiatingHeapOccupancyPercent=70',
  '-Djdk.attach.allowAttachSelf=true',
  '-XX:+ExitOnOutOfMemoryError',
  ...[
    'java.base/jdk.internal.misc', 'java.management.rmi/com.sun.jmx.remote.internal.rmi', 'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server', 'java.sql/java.sql', 'java.base/java.lang.ref', 'jdk.unsupported/sun.misc',
    'jdk.compiler/com.sun.tools.javac.file', 'jdk.attach/sun.tools.attach',
  ].flatMap((m) => ['--add-exports', `${m}=ALL-UNNAMED`]),
  ...[
    'java.base/java.lang.module', 'java.base/jdk.internal.loader', 'java.base/jdk.internal.ref', 'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math', 'java.base/jdk.internal.module', 'java.base/jdk.internal.util.jar',
    'jdk.management/com.sun.management.internal', 'java.base/sun.nio.ch', 'java.base/java.io', 'java.base/java.lang.reflect',
    'jdk.compiler/com.sun.tools.javac', 'java.base/java.lang', 'java.base/java.util',
  ].flatMap((m) => ['--add-opens', `${m}=ALL-UNNAMED`]),
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-Dio.netty.allocator.useCacheForAllThreads=true',
  '-Dio.netty.allocator.maxOrder=11',
];

function flinkServices({ config, artifacts, java }: ServiceContext): LocalService[] {
  const { host } = config;
  const { flinkRest, flinkRpc, sqlGateway, flinkPrometheusFirst } = config.stack.ports;
  const dir = stateFolder(config, 'flink');
  const confDir = join(dir, 'conf');
  const flinkEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv =>
    childEnvironment({
      FLINK_CONF_DIR: confDir,
      FLINK_LOG_DIR: join(dir, 'log'),
      FLINK_PID_DIR: join(dir, 'pid'),
      JAVA_HOME: undefined,
      JAVA_RUN: java,
      ...extra,
    });
  let prepared = false;
  const prepare = async () => {
    if (prepared) return;
    for (const sub of ['conf', 'log', 'pid', 'tmp', 'checkpoints', 'savepoints']) await mkdir(join(dir, sub), { recursive: true });
    const distConfig = parseYaml(await readFile(join(artifacts.flinkHome, 'conf', 'config.yaml'), 'utf8')) as { env?: { java?: { opts?: { all?: string } } } };
    await writeFile(join(confDir, 'config.yaml'), stringifyYaml({
      env: {
        java: { opts: { all: distConfig.env?.java?.opts?.all ?? '' } },
        log: { dir: join(dir, 'log') },
        pid: { dir: join(dir, 'pid') },
      },
      jobmanager: {
        'bind-host': host,
        rpc: { address: host, port: flinkRpc },
        memory: { process: { size: `${config.stack.memory.jobManagerProcessMb}m` } },
        execution: { 'failover-strategy': 'region' },
      },
      taskmanager: {
        'bind-host': host,
        host,
        numberOfTaskSlots: config.stack.taskSlots,
        memory: { process: { size: `${config.stack.memory.taskManagerProcessMb}m` } },
      },
      parallelism: { default: 1 },
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
    }));
    for (const file of ['log4j-console.properties', 'logback-console.xml']) {
      await copyFile(join(artifacts.flinkHome, 'conf', file), join(confDir, file));
    }
    // The HTTP lookup connector logs every request and response at INFO, a log entry per lookup.
    await appendFile(join(confDir, 'log4j-console.properties'), [
      '',
      'logger.httplookup.name = com.getindata.connectors.http.internal.table.lookup.Slf4JHttpLookupPostRequestCallback',
      'logger.httplookup.level = WARN',
      '',
    ].join('\n'));
    prepared = true;
  };
  const bin = (script: string) => join(artifacts.flinkHome, 'bin', script);
  const restUrl = `http://${host}:${flinkRest}`;
  return [
    {
      service: 'flink-jobmanager',
      address: restUrl,
      ports: [flinkRest, flinkRpc],
      logFile: logFileOf(config, 'flink-jobmanager'),
      prepare,
      launch: () => ({ command: bin('jobmanager.sh'), args: ['start-foreground'], env: flinkEnv(), cwd: dir, logFile: logFileOf(config, 'flink-jobmanager') }),
      async probe() {
        await axios.get(`${restUrl}/overview`, { timeout: 3000 });
        return true;
      },
    },
    {
      service: 'flink-taskmanager',
      address: `${config.stack.taskSlots} slots`,
      ports: [],
      logFile: logFileOf(config, 'flink-taskmanager'),
      prepare,
      launch: () => ({ command: bin('taskmanager.sh'), args: ['start-foreground'], env: flinkEnv(), cwd: dir, logFile: logFileOf(config, 'flink-taskmanager') }),
      async probe() {
        // The JobManager lists a killed TaskManager until its heartbeat times out (50 s): only one
        // heard from lately counts.
        const { data } = await axios.get<{ taskmanagers: Array<{ timeSinceLastHeartbeat: number; slotsNumber: number }> }>(`${restUrl}/taskmanagers`, { timeout: 3000 });
        // Despite its name, Flink's field is the time of the last heartbeat (ms since the epoch).
        const live = data.taskmanagers.filter((tm) => Date.now() - tm.timeSinceLastHeartbeat < TASKMANAGER_HEARTBEAT_STALE_MS);
        return live.length >= 1 && live.reduce((slots, tm) => slots + tm.slotsNumber, 0) >= Math.min(4, config.stack.taskSlots);
      },
      async probeProcess(pid: number) {
        // A TaskManager's id begins with its RPC address (host:port), a port its process listens on.
        const ports = new Set(listeningPorts(pid));
        const { data } = await axios.get<{ taskmanagers: Array<{ id: string; timeSinceLastHeartbeat: number }> }>(`${restUrl}/taskmanagers`, { timeout: 3000 });
        return data.taskmanagers.some((tm) => ports.has(Number(/^[^:]+:(\d+)-/.exec(tm.id)?.[1])) && Date.now() - tm.timeSinceLastHeartbeat < TASKMANAGER_HEARTBEAT_STALE_MS);
      },
    },
    {
      service: 'sql-gateway',
      address: `http://${host}:${sqlGateway}`,
      ports: [sqlGateway],
      logFile: logFileOf(config, 'sql-gateway'),
      prepare,
      launch: () => ({
        command: bin('sql-gateway.sh'),
        args: ['start-foreground'],
        env: flinkEnv({ JVM_ARGS: `-Xmx${config.stack.memory.sqlGatewayHeapMb}m` }),
        cwd: dir,
        logFile: logFileOf(config, 'sql-gateway'),
      }),
      async probe() {
        const client = new SqlGatewayClient(`http://${host}:${sqlGateway}`);
        const session = await client.openSession({ sessionName: 'tipstream-readiness' });
        try {
          const rows = await session.query('SELECT 1');
          if (rows.length !== 1 || rows[0]?.[0] !== 1) {
            throw new InfrastructureError('TIPSTREAM_START', `SQL Gateway answered SELECT 1 with ${JSON.stringify(rows)}`);
          }
          return true;
        } finally {
          await session.close().catch(() => undefined);
        }
      },
      async check() {
        const { data } = await axios.get<{ productName?: string }>(`http://${host}:${sqlGateway}/v1/info`, { timeout: 3000 });
        return data.productName === 'Apache Flink';
      },
    },
  ];
}

function propertiesText(values: Record<string, string | number>): string {
  return `${Object.entries(values).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
}
