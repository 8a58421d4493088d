// The five local services: what each runs, on which ports, with which environment, and which
// readiness probe says it is up. The files they read are written by service-config.ts, the probes
// are in readiness.ts.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { childEnvironment, type ResolvedConfig } from '../common/config.js';
import type { KafkaEndpoint } from '../clients/index.js';
import type { ResolvedArtifacts } from './artifacts.js';
import type { LaunchSpec } from './processes.js';
import {
  cassandraAnswers,
  jobManagerAnswers,
  kafkaAnswers,
  sqlGatewayIsFlink,
  sqlGatewayRunsQueries,
  taskManagerAnswersAs,
  taskManagersReady,
  type CassandraLogin,
} from './readiness.js';
import { cassandraFiles, kafkaFiles, plaintextListeners, prepareCassandra, prepareFlink, prepareKafka, type KafkaListenerAddress, type Properties } from './service-config.js';
import type { ServiceName } from './types.js';

export interface LocalService {
  service: ServiceName;
  /**
   * Its own name in the state file, logs and `stack status`: the service's, or for the second
   * TaskManager and on, `flink-taskmanager-2`, `-3`...
   */
  name: string;
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

export interface ServiceContext {
  config: ResolvedConfig;
  artifacts: ResolvedArtifacts;
  java: string;
}

export function stateFolder(config: ResolvedConfig, service: string): string {
  return join(config.stateDir, service);
}

export function logFileOf(config: ResolvedConfig, service: string): string {
  return join(config.stateDir, 'logs', `${service}.log`);
}

/** Start order; `stack down` stops in reverse. */
export function localServices(context: ServiceContext): LocalService[] {
  return [kafkaService(context), cassandraService(context), ...flinkServices(context)];
}

/**
 * Another Kafka than the stack's own, from the same artifacts (the Event Hubs stand-in of
 * test/support/secure-services.ts): its own folder, log, ports and security. Unset, it is the
 * local stack's broker.
 */
export interface KafkaServiceOptions {
  /** Configuration and data. */
  dir?: string;
  logFile?: string;
  port?: number;
  controllerPort?: number;
  /** server.properties' listener settings in place of the plaintext ones (a SASL_SSL listener, say). */
  listenerSettings?: (address: KafkaListenerAddress) => Properties;
  /** What a client needs besides the address to connect (the readiness probe is one). */
  clientSecurity?: Omit<KafkaEndpoint, 'bootstrapServers'>;
}

export function kafkaService({ config, artifacts, java }: ServiceContext, options: KafkaServiceOptions = {}): LocalService {
  const { host } = config;
  const port = options.port ?? config.stack.ports.kafka;
  const controllerPort = options.controllerPort ?? config.stack.ports.kafkaController;
  const dir = options.dir ?? stateFolder(config, 'kafka');
  const logFile = options.logFile ?? logFileOf(config, 'kafka');
  const listenerSettings = (options.listenerSettings ?? plaintextListeners)({ host, port, controllerPort });
  const files = kafkaFiles(dir);
  const classpath = `${artifacts.kafkaLibDir}/*`;
  return {
    service: 'kafka',
    name: 'kafka',
    address: `${host}:${port}`,
    ports: [port, controllerPort],
    logFile,
    prepare: () => prepareKafka(files, { host, port, controllerPort, dir, partitions: config.kafka.partitions, listenerSettings }, java, classpath),
    launch: () => ({
      command: java,
      args: [
        `-Xms256m`, `-Xmx${config.stack.memory.kafkaHeapMb}m`, '-XX:+UseG1GC',
        `-Dlog4j2.configurationFile=${files.log4j}`, '-cp', classpath, 'kafka.Kafka', files.properties,
      ],
      env: childEnvironment(),
      cwd: dir,
      logFile,
    }),
    probe: () => kafkaAnswers({ bootstrapServers: `${host}:${port}`, ...options.clientSecurity }),
  };
}

/** Another Cassandra than the stack's own (the Cosmos DB stand-in), as KafkaServiceOptions. */
export interface CassandraServiceOptions {
  /** Configuration, data and the node's own logs. */
  dir?: string;
  logFile?: string;
  port?: number;
  storagePort?: number;
  /** Added to cassandra.yaml after the stack's own settings (an authenticator, client encryption). */
  extraSettings?: Record<string, unknown>;
  /** How the readiness probe logs in, for a node that wants TLS and a password. */
  login?: CassandraLogin;
}

export function cassandraService({ config, artifacts, java }: ServiceContext, options: CassandraServiceOptions = {}): LocalService {
  const { host } = config;
  const port = options.port ?? config.stack.ports.cassandra;
  const storagePort = options.storagePort ?? config.stack.ports.cassandraStorage;
  const dir = options.dir ?? stateFolder(config, 'cassandra');
  const logFile = options.logFile ?? logFileOf(config, 'cassandra');
  const { yamlFile, logback } = cassandraFiles(dir);
  return {
    service: 'cassandra',
    name: 'cassandra',
    address: `${host}:${port}`,
    ports: [port, storagePort],
    logFile,
    prepare: () => prepareCassandra({ host, dir, port, storagePort, extraSettings: options.extraSettings }),
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
        // No -Dcassandra.unsafesystem: it leaves schema changes unsynced, and a node killed with
        // kill -9 came back without the keyspace, every row in it gone (the fault suite saw it).
        '-cp', `${artifacts.cassandraLibDir}/*`,
        'org.apache.cassandra.service.CassandraDaemon',
      ],
      env: childEnvironment(),
      cwd: dir,
      logFile,
    }),
    probe: () => cassandraAnswers(`${host}:${port}`, options.login),
  };
}

/** From Cassandra 5.0's conf/jvm17-server.options (G1 and the module flags it needs on Java 17). */
export const cassandraJava17Options = [
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

/** The name of TaskManager `i` (1 up): the first keeps the service's own name, as before there were several. */
export function taskManagerName(i: number): string {
  return i === 1 ? 'flink-taskmanager' : `flink-taskmanager-${i}`;
}

/**
 * The Prometheus reporter's port of each Flink process, as the containers publish them: the
 * JobManager on the first, TaskManager i on first + i; the SQL Gateway takes a free one of the rest.
 */
export function flinkMetricsPorts(first: number, taskManagers: number): { jobManager: number; taskManager: (i: number) => number; sqlGatewayRange: string } {
  return { jobManager: first, taskManager: (i) => first + i, sqlGatewayRange: `${first + taskManagers + 1}-${first + 10}` };
}

function flinkServices({ config, artifacts, java }: ServiceContext): LocalService[] {
  const { host } = config;
  const { flinkRest, flinkRpc, sqlGateway } = config.stack.ports;
  const { taskManagers, taskSlots } = config.stack;
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
  // They share one conf/: written once, by whichever starts first.
  let prepared = false;
  const prepare = async () => {
    if (prepared) return;
    await prepareFlink({ host, dir, ports: config.stack.ports, memory: config.stack.memory, taskSlots }, artifacts.flinkHome);
    for (let i = 1; i <= taskManagers; i += 1) await mkdir(taskManagerTmp(dir, i), { recursive: true });
    prepared = true;
  };
  const bin = (script: string) => join(artifacts.flinkHome, 'bin', script);
  const restUrl = `http://${host}:${flinkRest}`;
  const gatewayUrl = `http://${host}:${sqlGateway}`;
  const metrics = flinkMetricsPorts(config.stack.ports.flinkPrometheusFirst, taskManagers);
  // Flink's scripts pass `-D key=value` on to the process as settings over config.yaml.
  const dynamic = (settings: Record<string, string | number>) => Object.entries(settings).flatMap(([key, value]) => ['-D', `${key}=${value}`]);
  const taskManager = (i: number): LocalService => {
    const name = taskManagerName(i);
    return {
      service: 'flink-taskmanager',
      name,
      address: `${taskSlots} slots`,
      ports: [],
      logFile: logFileOf(config, name),
      prepare,
      launch: () => ({
        command: bin('taskmanager.sh'),
        // Each its own temporary and local-state folder and its own reporter port; RPC and data
        // ports are Flink's default, a free one each.
        args: ['start-foreground', ...dynamic({ 'io.tmp.dirs': taskManagerTmp(dir, i), 'metrics.reporter.prom.port': metrics.taskManager(i) })],
        env: flinkEnv(),
        cwd: dir,
        logFile: logFileOf(config, name),
      }),
      probe: () => taskManagersReady(restUrl, taskSlots * i),
      probeProcess: (pid: number) => taskManagerAnswersAs(restUrl, pid),
    };
  };
  return [
    {
      service: 'flink-jobmanager',
      name: 'flink-jobmanager',
      address: restUrl,
      ports: [flinkRest, flinkRpc],
      logFile: logFileOf(config, 'flink-jobmanager'),
      prepare,
      launch: () => ({
        command: bin('jobmanager.sh'),
        args: ['start-foreground', ...dynamic({ 'metrics.reporter.prom.port': metrics.jobManager })],
        env: flinkEnv(),
        cwd: dir,
        logFile: logFileOf(config, 'flink-jobmanager'),
      }),
      probe: () => jobManagerAnswers(restUrl),
    },
    ...Array.from({ length: taskManagers }, (_, i) => taskManager(i + 1)),
    {
      service: 'sql-gateway',
      name: 'sql-gateway',
      address: gatewayUrl,
      ports: [sqlGateway],
      logFile: logFileOf(config, 'sql-gateway'),
      prepare,
      launch: () => ({
        command: bin('sql-gateway.sh'),
        args: ['start-foreground', ...dynamic({ 'metrics.reporter.prom.port': metrics.sqlGatewayRange })],
        env: flinkEnv({ JVM_ARGS: `-Xmx${config.stack.memory.sqlGatewayHeapMb}m` }),
        cwd: dir,
        logFile: logFileOf(config, 'sql-gateway'),
      }),
      probe: () => sqlGatewayRunsQueries(gatewayUrl),
      check: () => sqlGatewayIsFlink(gatewayUrl),
    },
  ];
}

/** TaskManager i's temporary files and local state, apart from the others'. */
function taskManagerTmp(flinkDir: string, i: number): string {
  return join(flinkDir, 'taskmanagers', taskManagerName(i), 'tmp');
}
