// The one table of flags that set a configuration path, and the helpers every command uses: one
// way to declare those flags (help text with the real default, computed from the built-in
// defaults), one way to load the configuration with them applied, one way to turn an error into a
// single line and an exit code.
import type { Command } from 'commander';
import { Option } from 'commander';
import { builtInDefaults, loadConfig, setPath, type LoadConfigOptions, type ResolvedConfig } from '../common/config.js';
import { describeError, exitCodeOf, UserError } from '../common/errors.js';
import { logger } from '../common/logger.js';

interface FlagSpec {
  /** The flag without its dashes. */
  flag: string;
  /** The value's name in the help: `<port>`. */
  value: string;
  help: string;
  choices?: string[];
  /** Said after the default, e.g. where else the value may come from. */
  note?: string;
}

/** Every flag that sets a setting, by the setting's path. A path has one flag everywhere. */
export const configFlags = {
  cacheDir: { flag: 'cache-dir', value: '<dir>', help: 'where downloaded artifacts are kept', note: 'env TIPSTREAM_CACHE_DIR' },
  stateDir: { flag: 'state-dir', value: '<dir>', help: 'where the running stack keeps data, logs and pids', note: 'env TIPSTREAM_STATE_DIR' },
  'stack.provider': { flag: 'provider', value: '<kind>', help: 'local processes, testcontainers, or external (started by someone else: tipstream only waits for it to answer)', choices: ['local', 'testcontainers', 'external'], note: 'env TIPSTREAM_STACK_PROVIDER' },
  'stack.images': { flag: 'images', value: '<kind>', help: "testcontainers: official images, tipstream's own (`stack images`), or auto (its own where the engine has them)", choices: ['auto', 'official', 'local'], note: 'env TIPSTREAM_STACK_IMAGES' },
  'stack.taskManagers': { flag: 'taskmanagers', value: '<n>', help: 'TaskManagers, each with its own ports, temporary files and log, watched by the supervisor (processes, or containers with testcontainers); `stack up` with fewer stops the rest', note: 'env TIPSTREAM_STACK_TASK_MANAGERS' },
  'stack.taskSlots': { flag: 'slots', value: '<n>', help: 'task slots per TaskManager', note: 'env TIPSTREAM_STACK_TASK_SLOTS' },
  'stack.containerEngine': { flag: 'engine', value: '<command>', help: 'podman or docker, for `stack images`', choices: ['podman', 'docker'], note: 'env TIPSTREAM_STACK_CONTAINER_ENGINE; default podman if on PATH, else docker' },
  'stack.ports.kafka': { flag: 'kafka-port', value: '<port>', help: 'Kafka listener port' },
  'stack.ports.flinkRest': { flag: 'flink-port', value: '<port>', help: 'Flink REST API and web UI port' },
  'stack.ports.sqlGateway': { flag: 'sql-gateway-port', value: '<port>', help: 'Flink SQL Gateway port' },
  'stack.ports.cassandra': { flag: 'cassandra-port', value: '<port>', help: 'Cassandra CQL port' },
  'stack.readyTimeoutSeconds': { flag: 'ready-timeout', value: '<seconds>', help: 'how long to wait for each service to be ready' },
  'kafka.bootstrapServers': { flag: 'bootstrap-servers', value: '<list>', help: 'Kafka bootstrap servers', note: 'the Event Hubs endpoint when TIPSTREAM_KAFKA_CONNECTION_STRING is set' },
  'kafka.rideTopic': { flag: 'ride-topic', value: '<name>', help: 'ride topic or hub' },
  'kafka.fareTopic': { flag: 'fare-topic', value: '<name>', help: 'fare topic or hub' },
  'kafka.statsTopic': { flag: 'topic', value: '<name>', help: 'results topic' },
  'kafka.partitions': { flag: 'partitions', value: '<n>', help: 'partitions of topics created here' },
  'kafka.client': { flag: 'kafka-client', value: '<client>', help: 'auto (librdkafka where installed, else javascript), librdkafka or javascript' },
  'flink.restUrl': { flag: 'flink', value: '<url>', help: 'Flink REST address' },
  'flink.sqlGatewayUrl': { flag: 'sql-gateway', value: '<url>', help: 'SQL Gateway REST address' },
  'cassandra.contactPoints': { flag: 'contact-points', value: '<list>', help: 'Cassandra hosts, comma-separated' },
  'cassandra.port': { flag: 'cassandra-port', value: '<port>', help: 'CQL port', note: '10350 with --profile cosmos' },
  'cassandra.localDataCenter': { flag: 'local-dc', value: '<name>', help: 'local data center; on Cosmos DB the Azure region' },
  'cassandra.keyspace': { flag: 'keyspace', value: '<name>', help: 'keyspace of the results' },
  'cassandra.profile': { flag: 'profile', value: '<profile>', help: 'cassandra or cosmos: TLS, port 10350, no token-aware routing' },
  'cassandra.username': { flag: 'username', value: '<name>', help: 'user (the Cosmos DB account); the password only from TIPSTREAM_CASSANDRA_PASSWORD' },
  'cassandra.caFile': { flag: 'ca-file', value: '<pem>', help: 'trust this CA for TLS', note: 'the system CAs when not given' },
  'relay.sinks': { flag: 'sinks', value: '<list>', help: 'where the relay writes, comma-separated: cassandra, files (CSV files for analysts), or both' },
  'relay.filesDir': { flag: 'files-dir', value: '<dir>', help: "the files sink's folder" },
  'relay.consumerGroup': { flag: 'consumer-group', value: '<id>', help: 'Kafka consumer group of the relay' },
  'relay.concurrency': { flag: 'concurrency', value: '<n>', help: 'Cassandra writes in flight at once' },
  'relay.retryBudgetSeconds': { flag: 'retry-budget', value: '<seconds>', help: 'how long a write may keep failing before the relay stops' },
  'udf.boundaries': { flag: 'boundaries', value: '<path>', help: 'neighborhood boundaries file (.shp, a .zip holding one, or GeoJSON)' },
  'udf.nameField': { flag: 'name-field', value: '<field>', help: 'attribute holding the neighborhood name' },
  'udf.where': { flag: 'where', value: '<Field=Value>', help: "keep only features with this attribute value, e.g. 'City=New York'" },
  'udf.port': { flag: 'port', value: '<port>', help: 'port the udf-service listens on' },
  'udf.bindAddress': { flag: 'host', value: '<address>', help: 'address the udf-service listens on', note: '0.0.0.0 when Flink runs in containers, which call it from there' },
  'metrics.port': { flag: 'port', value: '<port>', help: 'metrics port for --serve' },
  'dashboard.port': { flag: 'port', value: '<port>', help: 'port the dashboard listens on' },
  'dashboard.minRides': { flag: 'min-rides', value: '<n>', help: 'rank only neighborhoods with at least this many rides in the span shown (as npm start)' },
  'dashboard.liveSpan': { flag: 'live-span', value: '<windows>', help: 'the rolling span, in windows, that live mode ranks over and the page follows' },
  'dashboard.pollInterval': { flag: 'poll-interval', value: '<duration>', help: 'how often new results are read from Cassandra' },
  'job.windowSize': { flag: 'window', value: '<size>', help: 'tumbling window size, e.g. "1 minute"' },
  'job.rideWatermarkDelay': { flag: 'watermark-delay', value: '<delay>', help: 'ride watermark delay' },
  'job.fareWatermarkDelay': { flag: 'fare-watermark-delay', value: '<delay>', help: 'fare watermark delay' },
  'job.maxAheadOfClock': { flag: 'max-ahead-of-clock', value: '<duration>', help: "a record dated further past the clock is an implausible event time, dead-lettered ('off' checks nothing)" },
  'job.maxJump': { flag: 'max-jump', value: '<duration>', help: "a record dated further past its partition's time so far is an implausible event time ('off' checks nothing)" },
  'job.earliestEventTime': { flag: 'earliest-event-time', value: '<time>', help: "a record dated before this ISO-8601 time is an implausible event time ('off' checks nothing)" },
  'job.parallelism': { flag: 'parallelism', value: '<n>', help: 'job parallelism: 1 up to the cluster\'s free slots, whatever the partition count (the sources take at most one subtask per partition)' },
  'job.maxParallelism': { flag: 'max-parallelism', value: '<n>', help: 'the most the job can be rescaled to (Flink\'s key groups); a savepoint restores only into the same value' },
  'job.checkpointInterval': { flag: 'checkpoint-interval', value: '<interval>', help: 'checkpoint interval' },
  'job.consumerGroup': { flag: 'consumer-group', value: '<id>', help: 'Kafka consumer group of the job' },
  'job.startupMode': { flag: 'startup-mode', value: '<mode>', help: 'earliest-offset, latest-offset or group-offsets' },
  'job.udfLookupUrl': { flag: 'udf-url', value: '<url>', help: 'the udf-service lookup URL Flink calls' },
} satisfies Record<string, FlagSpec>;

export type ConfigPath = keyof typeof configFlags;

/** The flags each command declared, by command. */
const declared = new WeakMap<Command, ConfigPath[]>();

/** The value at a dotted path of the built-in defaults, as the help shows it. */
export function defaultShown(path: ConfigPath, defaults: ResolvedConfig = builtInDefaults()): string | undefined {
  let node: unknown = defaults;
  for (const key of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
  if (node === undefined) return undefined;
  const text = Array.isArray(node) ? node.join(',') : String(node);
  return /\s/.test(text) ? `"${text}"` : text;
}

/** Declares the flags of these settings on a command; `overrides` changes a help text for this command. */
export function withConfigFlags(command: Command, paths: ConfigPath[], overrides: Partial<Record<ConfigPath, { help?: string; default?: string }>> = {}): Command {
  const defaults = builtInDefaults();
  for (const path of paths) {
    const spec: FlagSpec = configFlags[path];
    const shown = overrides[path]?.default ?? defaultShown(path, defaults);
    const extras = [shown === undefined ? undefined : `default ${shown}`, spec.note].filter(Boolean).join('; ');
    const option = new Option(`--${spec.flag} ${spec.value}`, `${overrides[path]?.help ?? spec.help}${extras ? ` (${extras})` : ''}`);
    command.addOption(spec.choices ? option.choices(spec.choices) : option);
  }
  declared.set(command, [...(declared.get(command) ?? []), ...paths]);
  return command;
}

/**
 * Reads the configuration with the command's flags applied last, and sets the logger to its
 * level: the one place a command's configuration is loaded.
 */
export function configFor(command: Command, options: Pick<LoadConfigOptions, 'commandDefaults'> = {}): ResolvedConfig {
  const values = command.optsWithGlobals() as Record<string, unknown>;
  const overrides: Record<string, unknown> = {};
  const overrideNames: Record<string, string> = {};
  for (const path of declared.get(command) ?? []) {
    const { flag } = configFlags[path];
    const value = values[camelCase(flag)];
    if (value === undefined) continue;
    setPath(overrides, path, value);
    overrideNames[path] = `--${flag}`;
  }
  const config = loadConfig({ file: values.config as string | undefined, overrides, overrideNames, ...options });
  logger.level = config.logLevel;
  return config;
}

/** Wraps a command action: errors become one line on stderr and a non-zero exit code. */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (err) {
      if (!(err instanceof UserError)) logger.debug({ err }, 'command failed');
      process.stderr.write(`tipstream: ${describeError(err)}\n`);
      process.exitCode = exitCodeOf(err);
    }
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
