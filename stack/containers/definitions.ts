// The containers of the stack as plain data: what the testcontainers provider starts and what
// docker-compose.yml mirrors. Pure functions, so they are unit-tested without a Docker engine.
import { IN_CONTAINERS, type ResolvedConfig } from '../../common/config.js';
import type { ServiceName } from '../types.js';
import { KAFKA_TRANSACTION_TIMEOUT_MS } from '../../clients/index.js';
import { versions } from '../versions.js';

export interface ContainerDefinition {
  service: ServiceName;
  /** Name on the stack's network, unique per container; other containers reach it by this name. */
  hostname: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  /** Container port → host port (on the host's loopback). */
  ports: Array<{ container: number; host: number }>;
  /** Bind mounts from the host: read-only unless `mode` is 'rw'. */
  binds: Array<{ source: string; target: string; mode?: 'rw' }>;
  /** A log line that means the service is ready. */
  readyLog: RegExp;
}

export interface ContainerInputs {
  /** Host folder holding the connector jars Flink needs in lib/ (the local cache has them). */
  connectorJarsDir: string;
  /**
   * Host folder holding the job's functions jar (flink-udf/), mounted at the same path in the SQL
   * Gateway container: the job's ADD JAR names the host path, and the gateway ships the jar to the
   * cluster. Empty: not mounted (a status check builds nothing).
   */
  functionsJarDir: string;
  /**
   * Host folder for checkpoints and savepoints, mounted read-write into every Flink container at
   * FLINK_STATE_DIR: the JobManager and the TaskManagers must see one file system for them.
   */
  flinkStateDir: string;
  /** The images to run: the official ones (versions.ts `images`) or tipstream's own (`localImages`). */
  images: StackImages;
  /** TaskManager containers (taskmanager, taskmanager-2, ...). */
  taskManagers: number;
}

export interface StackImages {
  kafka: string;
  flink: string;
  cassandra: string;
}

/** Where the Flink containers keep checkpoints and savepoints (the flinkStateDir mount). */
export const FLINK_STATE_DIR = '/tipstream/flink-state';
/** How a container reaches the host, where the udf-service runs (common/config.ts). */
export const HOST_FROM_CONTAINERS = IN_CONTAINERS.host;

const FLINK_HOME = '/opt/flink';
/** The Prometheus reporter's port inside each Flink container. */
const PROMETHEUS_PORT = 9249;

/** Flink settings in the image's FLINK_PROPERTIES form (one `key: value` per line). */
function flinkProperties(config: ResolvedConfig, extra: Record<string, string | number> = {}): string {
  const settings: Record<string, string | number> = {
    'jobmanager.rpc.address': 'jobmanager',
    'rest.address': 'jobmanager',
    'rest.bind-address': '0.0.0.0',
    'execution.target': 'remote',
    'taskmanager.numberOfTaskSlots': config.stack.taskSlots,
    'jobmanager.memory.process.size': `${config.stack.memory.jobManagerProcessMb}m`,
    'taskmanager.memory.process.size': `${config.stack.memory.taskManagerProcessMb}m`,
    'metrics.reporter.prom.factory.class': 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
    'metrics.reporter.prom.port': String(PROMETHEUS_PORT),
    // As the local stack (stack/service-config.ts): a lost TaskManager is noticed in 20 s, not 50.
    'heartbeat.interval': 5000,
    'heartbeat.timeout': 20000,
    'jobmanager.execution.failover-strategy': 'region',
    // A job's slots spread over the TaskManagers, not packed into the first (stack/service-config.ts).
    'taskmanager.load-balance.mode': 'SLOTS',
    'execution.checkpointing.dir': `file://${FLINK_STATE_DIR}/checkpoints`,
    'execution.checkpointing.savepoint-dir': `file://${FLINK_STATE_DIR}/savepoints`,
    // Read by the SQL Gateway only; every Flink container has the same settings, as in docker-compose.yml.
    'sql-gateway.endpoint.rest.address': 'sql-gateway',
    'sql-gateway.endpoint.rest.bind-address': '0.0.0.0',
    ...extra,
  };
  return Object.entries(settings).map(([k, v]) => `${k}: ${v}`).join('\n');
}

export function containerDefinitions(config: ResolvedConfig, inputs: ContainerInputs): ContainerDefinition[] {
  const { ports } = config.stack;
  const connectors = { source: inputs.connectorJarsDir, target: `${FLINK_HOME}/lib/tipstream` };
  const flinkState = inputs.flinkStateDir ? [{ source: inputs.flinkStateDir, target: FLINK_STATE_DIR, mode: 'rw' as const }] : [];
  const flinkEnv = (extra?: Record<string, string | number>) => ({
    FLINK_PROPERTIES: flinkProperties(config, extra),
    ENABLE_BUILT_IN_PLUGINS: `flink-metrics-prometheus-${versions.flink}.jar`,
  });
  return [
    {
      service: 'kafka',
      hostname: 'kafka',
      image: inputs.images.kafka,
      command: [],
      env: {
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        // Host clients use PLAINTEXT on the published port; containers use INTERNAL.
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,INTERNAL://:19092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${ports.kafka},INTERNAL://${IN_CONTAINERS.kafka}`,
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
        KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        // The job's exactly-once sink holds transactions open up to this long (clients/kafka.ts).
        KAFKA_TRANSACTION_MAX_TIMEOUT_MS: String(KAFKA_TRANSACTION_TIMEOUT_MS),
        KAFKA_NUM_PARTITIONS: String(config.kafka.partitions),
        KAFKA_HEAP_OPTS: `-Xms256m -Xmx${config.stack.memory.kafkaHeapMb}m`,
      },
      ports: [{ container: 9092, host: ports.kafka }],
      binds: [],
      readyLog: /Kafka Server started/,
    },
    {
      service: 'cassandra',
      hostname: 'cassandra',
      image: inputs.images.cassandra,
      command: [],
      env: {
        MAX_HEAP_SIZE: `${config.stack.memory.cassandraHeapMb}M`,
        HEAP_NEWSIZE: '256M',
        CASSANDRA_CLUSTER_NAME: 'tipstream',
        CASSANDRA_DC: config.cassandra.localDataCenter,
        CASSANDRA_ENDPOINT_SNITCH: 'GossipingPropertyFileSnitch',
      },
      ports: [{ container: 9042, host: ports.cassandra }],
      binds: [],
      readyLog: /Starting listening for CQL clients/,
    },
    {
      service: 'flink-jobmanager',
      hostname: 'jobmanager',
      image: inputs.images.flink,
      command: ['jobmanager'],
      env: flinkEnv(),
      // The Prometheus reporter of the JobManager and of each TaskManager on a host port of its
      // own, from flinkPrometheusFirst up, as the local processes take that range.
      ports: [{ container: 8081, host: ports.flinkRest }, { container: PROMETHEUS_PORT, host: ports.flinkPrometheusFirst }],
      binds: [connectors, ...flinkState],
      readyLog: /Rest endpoint listening at/,
    },
    ...Array.from({ length: inputs.taskManagers }, (_, i) => ({
      service: 'flink-taskmanager' as const,
      hostname: i === 0 ? 'taskmanager' : `taskmanager-${i + 1}`,
      image: inputs.images.flink,
      command: ['taskmanager'],
      env: flinkEnv(),
      ports: [{ container: PROMETHEUS_PORT, host: ports.flinkPrometheusFirst + 1 + i }],
      binds: [connectors, ...flinkState],
      readyLog: /Successful registration at resource manager/,
    })),
    {
      service: 'sql-gateway',
      hostname: 'sql-gateway',
      image: inputs.images.flink,
      command: [`${FLINK_HOME}/bin/sql-gateway.sh`, 'start-foreground'],
      env: flinkEnv(),
      // The SQL Gateway starts no metrics reporter: nothing of it to publish but its REST port.
      ports: [{ container: 8083, host: ports.sqlGateway }],
      binds: [connectors, ...flinkState, ...(inputs.functionsJarDir ? [{ source: inputs.functionsJarDir, target: inputs.functionsJarDir }] : [])],
      readyLog: /Rest endpoint listening at/,
    },
  ];
}

/**
 * The one contract the official images and tipstream's own (stack/images/) share, and all the
 * definitions above may use: the environment variables each image reads and the commands it
 * runs. stack/CONTAINERS.md writes it down; test/unit/stack/images.test.ts checks the definitions
 * against it and runs tipstream's entrypoints on it.
 */
export const imageContract = {
  kafka: {
    /** KAFKA_<SETTING>: a broker setting (KAFKA_LOG_DIRS is log.dirs); KAFKA_HEAP_OPTS: the JVM's heap options. */
    env: [/^KAFKA_[A-Z0-9_]+$/, /^CLUSTER_ID$/],
    commands: [[]] as string[][],
  },
  flink: {
    /** FLINK_PROPERTIES: `key: value` lines over the image's configuration; ENABLE_BUILT_IN_PLUGINS: jars from opt/. */
    env: [/^FLINK_PROPERTIES$/, /^ENABLE_BUILT_IN_PLUGINS$/],
    commands: [['jobmanager'], ['taskmanager'], [`${FLINK_HOME}/bin/sql-gateway.sh`, 'start-foreground']] as string[][],
  },
  cassandra: {
    env: [/^MAX_HEAP_SIZE$/, /^HEAP_NEWSIZE$/, /^CASSANDRA_CLUSTER_NAME$/, /^CASSANDRA_DC$/, /^CASSANDRA_RACK$/, /^CASSANDRA_ENDPOINT_SNITCH$/],
    commands: [[]] as string[][],
  },
} as const;

/** Which image of the contract a service runs. */
export function imageKindOf(service: ServiceName): keyof typeof imageContract {
  return service === 'kafka' ? 'kafka' : service === 'cassandra' ? 'cassandra' : 'flink';
}
