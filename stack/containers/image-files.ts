// The files baked into tipstream's own images (stack/images/), rendered from the same functions
// that configure the local stack, so a container behaves like the local process it replaces.
// Pure, for test/unit/stack/images.test.ts; stack/images.ts puts them in the build contexts.
import { cassandraJava17Options } from '../services.js';
import { cassandraYaml, kafkaLog4jText, taskManagerJavaOptions } from '../service-config.js';

/**
 * conf/config.base.yaml of tipstream/flink: flat `key: value` lines, what the flink image's own
 * configuration does beyond the distribution (listen on every interface) plus the distribution's
 * Java options. Everything a stack chooses comes in FLINK_PROPERTIES (containers/definitions.ts).
 */
export function flinkImageBaseConfig(javaOptions: string): string {
  const lines: Record<string, string> = {
    'jobmanager.rpc.address': 'localhost',
    'jobmanager.rpc.port': '6123',
    'jobmanager.bind-host': '0.0.0.0',
    'taskmanager.bind-host': '0.0.0.0',
    'taskmanager.rpc.port': '6122',
    'blob.server.port': '6124',
    'rest.address': 'localhost',
    'rest.bind-address': '0.0.0.0',
    'rest.port': '8081',
    'io.tmp.dirs': '/tmp',
    ...(javaOptions ? { 'env.java.opts.all': JSON.stringify(javaOptions) } : {}),
    // The TaskManager's collector, as on the local stack (service-config.ts).
    'env.java.opts.taskmanager': JSON.stringify(taskManagerJavaOptions),
  };
  return `${Object.entries(lines).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
}

/** Placeholders tipstream/cassandra's entrypoint fills in at start. */
export const cassandraPlaceholders = { address: '__ADDRESS__', clusterName: '__CLUSTER_NAME__', endpointSnitch: '__ENDPOINT_SNITCH__' } as const;

/** conf/cassandra.template.yaml: the local node's settings, on the container's address. */
export function cassandraImageTemplate(): string {
  const { address, clusterName, endpointSnitch } = cassandraPlaceholders;
  return cassandraYaml({
    host: address,
    dir: '/var/lib/cassandra',
    port: 9042,
    storagePort: 7000,
    extraSettings: { cluster_name: clusterName, endpoint_snitch: endpointSnitch, rpc_address: '0.0.0.0', broadcast_rpc_address: address },
  });
}

/** conf/jvm17.options: one option per line, as the local node is started with. */
export function cassandraJvmOptionsText(): string {
  return `${cassandraJava17Options.join('\n')}\n`;
}

/**
 * Kafka's log4j2.properties in the image: the local broker's, but the line that says the server
 * started stays at INFO (the containers' readiness waits for it).
 */
export function kafkaImageLog4j(): string {
  return `${kafkaLog4jText}logger.started.name = kafka.server.KafkaRaftServer\nlogger.started.level = info\n`;
}
