// The one typed configuration of tipstream: defaults < config file < environment < flags,
// validated once, with errors that name the setting and where its bad value came from.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { durationProblem } from './duration.js';
import { ConfigError, UserError } from './errors.js';

/** The repository root (the folder holding package.json). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The demo data that ships with tipstream (data/README.md): every default path points here. */
export const dataDir = resolve(projectRoot, 'data');
/** The team's larger data sets beside a checkout, used by some tests and benchmarks only. */
export const sharedDataDir = resolve(projectRoot, '..', 'shared', 'data');

export const ENV_PREFIX = 'TIPSTREAM_';
export const DEFAULT_CONFIG_FILE = 'tipstream.config.yaml';

const port = z.coerce.number().int().min(1).max(65535);
const megabytes = z.coerce.number().int().min(64).max(16384);
const boolean = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
/** A duration in common/duration.ts's grammar ("5 m", "1 hour", "30 s"), longer than 0. */
const duration = z.string().superRefine((text, ctx) => {
  const problem = durationProblem(text) ?? (/^\s*0+(\.0+)?\s*[a-z]+\s*$/i.test(text) ? `must be longer than 0, got '${text}'` : undefined);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
/** A duration, or 'off' for a bound that is not checked. */
const boundOrOff = z.string().superRefine((text, ctx) => {
  if (text.trim() === 'off') return;
  const problem = durationProblem(text) ?? (/^\s*0+(\.0+)?\s*[a-z]+\s*$/i.test(text) ? `must be longer than 0, got '${text}'` : undefined);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${problem} (or 'off', to check nothing)` });
});
const instantOrOff = z.string().refine((text) => text.trim() === 'off' || (/^\d{4}-\d\d-\d\dT/.test(text) && !Number.isNaN(Date.parse(text))), "an ISO-8601 time such as '2000-01-01T00:00:00Z', or 'off'");
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name: letters, digits, ".", "_" or "-"');

/** Where the relay can write window results; orchestrator/result-sinks.ts makes each from its settings. */
export const sinkNames = ['cassandra', 'files'] as const;
export type SinkName = (typeof sinkNames)[number];
/** A list of sinks, each at most once; from the environment or a flag, comma-separated. */
const sinkList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((name) => name.trim()) : value),
  z
    .array(z.enum(sinkNames, { error: (issue) => `unknown sink '${String(issue.input)}': one of ${sinkNames.join(', ')}` }))
    .min(1, `at least one of ${sinkNames.join(', ')}`)
    .refine((names) => new Set(names).size === names.length, 'names a sink more than once'),
);

export const configSchema = z.strictObject({
  /** Where downloaded artifacts live; reused by every later `stack up`. */
  cacheDir: z.string().min(1),
  /** Where the running stack keeps its data, logs and pid files. */
  stateDir: z.string().min(1),
  host: z.string().min(1),
  /** Structured logs to stderr at this level and above. */
  logLevel: logLevel,
  stack: z.strictObject({
    /** local processes, testcontainers, or external: a stack tipstream neither starts nor stops (docker compose, a cluster of yours). */
    provider: z.enum(['local', 'testcontainers', 'external']),
    /** testcontainers: the official images, tipstream's own (`stack images`), or auto (its own where the engine has them). */
    images: z.enum(['auto', 'official', 'local']),
    /** TaskManagers, each with taskSlots slots: local processes, or containers with testcontainers. */
    taskManagers: z.coerce.number().int().min(1).max(8),
    /** `stack images`: the engine's command line; default podman if on PATH, else docker. */
    containerEngine: z.enum(['podman', 'docker']).optional(),
    ports: z.strictObject({
      kafka: port,
      kafkaController: port,
      flinkRest: port,
      flinkRpc: port,
      sqlGateway: port,
      cassandra: port,
      cassandraStorage: port,
      flinkPrometheusFirst: port,
    }),
    memory: z.strictObject({
      kafkaHeapMb: megabytes,
      jobManagerProcessMb: megabytes,
      taskManagerProcessMb: megabytes,
      sqlGatewayHeapMb: megabytes,
      cassandraHeapMb: megabytes,
    }),
    taskSlots: z.coerce.number().int().min(1).max(64),
    readyTimeoutSeconds: z.coerce.number().int().min(5).max(3600),
  }),
  kafka: z.strictObject({
    bootstrapServers: z.string().min(1).optional(),
    rideTopic: topicName,
    fareTopic: topicName,
    deadLetterTopic: topicName,
    statsTopic: topicName,
    partitions: z.coerce.number().int().min(1).max(1024),
    /** Event Hubs namespace connection string (a secret: never logged). */
    connectionString: z.string().min(1).optional(),
    /** PEM of a CA to trust for the SASL_SSL endpoint (a private CA; Event Hubs needs none). */
    caFile: z.string().min(1).optional(),
    /** The generator's Kafka client: librdkafka where installed (auto), or the JavaScript one. */
    client: z.enum(['auto', 'librdkafka', 'javascript']),
  }),
  flink: z.strictObject({
    restUrl: z.url().optional(),
    sqlGatewayUrl: z.url().optional(),
  }),
  cassandra: z.strictObject({
    contactPoints: z.union([z.array(z.string().min(1)).min(1), z.string().min(1).transform((s) => s.split(','))]),
    port: port.optional(),
    localDataCenter: z.string().min(1),
    keyspace: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,47}$/, 'a CQL keyspace name'),
    username: z.string().min(1).optional(),
    /** A secret: never logged. */
    password: z.string().min(1).optional(),
    tls: boolean,
    /** A PEM file of the CA to trust for TLS (default: the system's CAs, which Cosmos DB needs). */
    caFile: z.string().min(1).optional(),
    /** `cosmos`: Azure Cosmos DB for Apache Cassandra (port 10350, TLS, no token-aware routing). */
    profile: z.enum(['cassandra', 'cosmos']),
  }),
  /** The relay from the results topic to its sinks (issues #6, #26). */
  relay: z.strictObject({
    /** Where window results go: every sink listed gets every row before offsets are committed. */
    sinks: sinkList,
    /** The files sink's folder: one CSV file per partition of each batch (default `<stateDir>/results`). */
    filesDir: z.string().min(1).optional(),
    consumerGroup: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'letters, digits, ".", "_" or "-"'),
    /** Cassandra upserts in flight at once. */
    concurrency: z.coerce.number().int().min(1).max(1024),
    /** How long a write may keep failing (Overloaded, timeouts, no host) before the relay gives up. */
    retryBudgetSeconds: z.coerce.number().min(0).max(86_400),
  }),
  udf: z.strictObject({
    port: port,
    /** Where the udf-service listens; default the host, or every interface when Flink runs in containers (they call it from there). */
    bindAddress: z.string().min(1).optional(),
    boundaries: z.string().min(1),
    nameField: z.string().min(1),
    where: z.string().min(1).optional(),
  }),
  metrics: z.strictObject({
    port: port,
  }),
  /** `tipstream dashboard`: the live map (issue #15). */
  dashboard: z.strictObject({
    port: port,
    /** Neighborhoods with fewer rides in a window are greyed out: too few trips to rank. */
    minRides: z.coerce.number().int().min(1).max(1_000_000),
    /** The rolling span, in windows, that live mode's terminal ranks over and the page follows once new windows arrive. */
    liveSpan: z.coerce.number().int().min(1).max(100_000),
    /** How often the dashboard reads new window results from Cassandra (each read costs request units on Cosmos DB). */
    pollInterval: duration,
  }),
  /** The Flink job (issue #5): values are validated again where they enter SQL. */
  job: z.strictObject({
    windowSize: duration,
    rideWatermarkDelay: duration,
    fareWatermarkDelay: duration,
    /** A record dated further than this past the clock (the wall, or live mode's) moves no watermark and is dead-lettered. */
    maxAheadOfClock: boundOrOff,
    /** A record dated further than this past its partition's time so far moves no watermark and is dead-lettered. */
    maxJump: boundOrOff,
    /** A record dated before this moves no watermark and is dead-lettered (a clock reset to 1970). */
    earliestEventTime: instantOrOff,
    idleTimeout: duration,
    consumerGroup: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'letters, digits, ".", "_" or "-"'),
    startupMode: z.enum(['earliest-offset', 'latest-offset', 'group-offsets']),
    parallelism: z.coerce.number().int().min(1).max(256),
    /**
     * Flink's key groups: the most the job can ever be rescaled to. A savepoint restores only into
     * a job with the same value, so it is set, not left to Flink's guess from the parallelism.
     */
    maxParallelism: z.coerce.number().int().min(1).max(32768),
    checkpointInterval: duration,
    /** The udf-service lookup endpoint Flink calls; default follows udf.port. */
    udfLookupUrl: z.url().optional(),
    /** The Kafka address the job itself uses; default kafka.bootstrapServers, or the stack's network address when Flink runs in containers. */
    kafkaBootstrapServers: z.string().min(1).optional(),
    udfRequestTimeoutSeconds: z.coerce.number().int().min(1).max(120),
    /** Exactly-once results need broker transactions (not on Event Hubs Standard). Default: on unless a connection string is set. */
    exactlyOnce: boolean.optional(),
  }),
});

/** Cosmos DB for Apache Cassandra listens here. */
export const COSMOS_PORT = 10350;

export type TipstreamConfig = z.infer<typeof configSchema>;
/** Settings after derived defaults are filled in (addresses follow the stack's ports). */
export type ResolvedConfig = TipstreamConfig & {
  kafka: TipstreamConfig['kafka'] & { bootstrapServers: string };
  flink: { restUrl: string; sqlGatewayUrl: string };
  cassandra: TipstreamConfig['cassandra'] & { port: number };
  job: TipstreamConfig['job'] & { udfLookupUrl: string; exactlyOnce: boolean; kafkaBootstrapServers: string };
  udf: TipstreamConfig['udf'] & { bindAddress: string };
  relay: TipstreamConfig['relay'] & { filesDir: string };
};

/** The testcontainers provider's record of its containers, in the state folder (stack/testcontainers-provider.ts). */
export const CONTAINERS_STATE_FILE = 'containers.json';

/**
 * Addresses as the containers of the testcontainers stack see them (stack/containers/): Kafka's
 * listener on the stack's network, and the name of the host, where the udf-service runs (Podman
 * puts it in every container's /etc/hosts; the provider maps it to host-gateway on Docker).
 */
export const IN_CONTAINERS = { kafka: 'kafka:19092', host: 'host.containers.internal' } as const;

type Plain = { [key: string]: unknown };

export function defaultConfig(env: NodeJS.ProcessEnv = process.env): Plain {
  const home = env.HOME ?? homedir();
  return {
    cacheDir: resolve(env.XDG_CACHE_HOME ?? resolve(home, '.cache'), 'tipstream'),
    stateDir: resolve(env.XDG_STATE_HOME ?? resolve(home, '.local', 'state'), 'tipstream'),
    host: '127.0.0.1',
    logLevel: env.NODE_ENV === 'test' ? 'silent' : 'info',
    stack: {
      provider: 'local',
      images: 'auto',
      taskManagers: 1,
      ports: {
        kafka: 9092,
        kafkaController: 9093,
        flinkRest: 8081,
        flinkRpc: 6123,
        sqlGateway: 8083,
        cassandra: 9042,
        cassandraStorage: 7000,
        flinkPrometheusFirst: 9249,
      },
      // Sized for a 2-core, 24 GiB machine that also runs the tests and the udf-service.
      memory: {
        kafkaHeapMb: 1024,
        jobManagerProcessMb: 1280,
        taskManagerProcessMb: 3072,
        sqlGatewayHeapMb: 512,
        cassandraHeapMb: 1024,
      },
      taskSlots: 4,
      readyTimeoutSeconds: 240,
    },
    kafka: {
      rideTopic: 'taxi-rides',
      fareTopic: 'taxi-fares',
      deadLetterTopic: 'taxi-dead-letter',
      statsTopic: 'taxi-neighborhood-stats',
      partitions: 4,
      client: 'auto',
    },
    flink: {},
    cassandra: {
      contactPoints: ['127.0.0.1'],
      localDataCenter: 'datacenter1',
      keyspace: 'newyorktaxi',
      tls: false,
      profile: 'cassandra',
    },
    relay: { sinks: ['cassandra'], consumerGroup: 'tipstream-relay', concurrency: 32, retryBudgetSeconds: 120 },
    udf: {
      port: 8090,
      boundaries: resolve(dataDir, 'neighborhoods', 'zillow-ny', 'ZillowNeighborhoods-NY.zip'),
      nameField: 'Name',
    },
    metrics: { port: 9464 },
    dashboard: { port: 8095, minRides: 10, liveSpan: 15, pollInterval: '1 s' },
    job: {
      windowSize: '1 hour',
      rideWatermarkDelay: '3 minutes',
      fareWatermarkDelay: '3 minutes',
      maxAheadOfClock: '1 hour',
      maxJump: '365 days',
      earliestEventTime: '2000-01-01T00:00:00Z',
      idleTimeout: '10 s',
      consumerGroup: 'tipstream',
      startupMode: 'earliest-offset',
      parallelism: 2,
      maxParallelism: 128,
      checkpointInterval: '10 s',
      udfRequestTimeoutSeconds: 10,
    },
  };
}

export interface LoadConfigOptions {
  /** A config file given on the command line; otherwise TIPSTREAM_CONFIG, then ./tipstream.config.yaml. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, as a partial config tree; `undefined` leaves are ignored. */
  overrides?: Plain;
  /** How each override path is spelled on the command line, for error messages. */
  overrideNames?: Record<string, string>;
  /**
   * A command's own defaults (`start` runs 1-minute windows and quiet logs): above the built-in
   * defaults, below the config file, the environment and the flags.
   */
  commandDefaults?: Plain;
  cwd?: string;
}

/** Loads, merges and validates the configuration. Throws ConfigError naming the bad setting. */
export function loadConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const sources = new Map<string, string>();

  const merged = defaultConfig(env);
  mergeInto(merged, options.commandDefaults ?? {}, '', new Map(), () => 'defaults');
  const file = options.file ?? env[`${ENV_PREFIX}CONFIG`] ?? optionalDefaultFile(cwd);
  if (file !== undefined) {
    const fromFile = readConfigFile(resolve(cwd, file));
    mergeInto(merged, fromFile, '', sources, () => `config file ${file}`);
  }
  mergeInto(merged, fromEnvironment(env), '', sources, (path) => envName(path));
  mergeInto(merged, options.overrides ?? {}, '', sources, (path) => options.overrideNames?.[path] ?? `flag for ${path}`);
  // A stack the testcontainers provider started is used (and stopped) without naming it again.
  if (!sources.has('stack.provider') && typeof merged.stateDir === 'string' && existsSync(resolve(cwd, merged.stateDir, CONTAINERS_STATE_FILE))) {
    (merged.stack as Plain).provider = 'testcontainers';
    sources.set('stack.provider', `the containers recorded in ${resolve(cwd, merged.stateDir, CONTAINERS_STATE_FILE)}`);
  }

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.');
    const source = sources.get(path) ?? sourceOfParent(sources, path) ?? 'defaults';
    const unknown = issue.code === 'unrecognized_keys' ? ` (unknown setting ${issue.keys.map((k) => (path ? `${path}.${k}` : k)).join(', ')})` : '';
    throw new ConfigError(`invalid setting ${path || '(root)'} from ${source}: ${issue.message}${unknown}`);
  }
  const resolved = resolveDerived(parsed.data, cwd);
  settingSources.set(resolved, sources);
  return resolved;
}

/** Where each loaded configuration's settings came from, for errors found after loading. */
const settingSources = new WeakMap<ResolvedConfig, Map<string, string>>();

/**
 * A setting and where its value came from, for an error message: `udf.boundaries from
 * --boundaries`, `udf.boundaries from TIPSTREAM_UDF_BOUNDARIES`, or `udf.boundaries (default)`.
 */
export function describeSetting(config: ResolvedConfig, path: string): string {
  const sources = settingSources.get(config);
  if (sources === undefined) return `setting ${path}`;
  const source = sources.get(path);
  return source === undefined ? `${path} (default)` : `${path} from ${source}`;
}

/** Fails with one line naming the path and where it came from when nothing exists there. */
export function requireExistingPath(path: string, origin: string): string {
  if (!existsSync(path)) throw new ConfigError(`${origin}: ${path} does not exist`);
  return path;
}

function resolveDerived(config: TipstreamConfig, cwd: string): ResolvedConfig {
  const { host, stack } = config;
  const inContainers = stack.provider === 'testcontainers';
  const bootstrapServers =
    config.kafka.bootstrapServers ?? (config.kafka.connectionString !== undefined ? eventHubsKafkaEndpoint(config.kafka.connectionString) : `${host}:${stack.ports.kafka}`);
  const stackKafka = config.kafka.bootstrapServers === undefined && config.kafka.connectionString === undefined;
  const stateDir = absolute(config.stateDir, cwd);
  return {
    ...config,
    cacheDir: absolute(config.cacheDir, cwd),
    stateDir,
    kafka: {
      ...config.kafka,
      // With an Event Hubs connection string and no address, the namespace's Kafka endpoint.
      bootstrapServers,
    },
    flink: {
      restUrl: config.flink.restUrl ?? `http://${host}:${stack.ports.flinkRest}`,
      sqlGatewayUrl: config.flink.sqlGatewayUrl ?? `http://${host}:${stack.ports.sqlGateway}`,
    },
    cassandra: {
      ...config.cassandra,
      port: config.cassandra.port ?? (config.cassandra.profile === 'cosmos' ? COSMOS_PORT : stack.ports.cassandra),
      tls: config.cassandra.tls || config.cassandra.profile === 'cosmos',
    },
    relay: { ...config.relay, filesDir: absolute(config.relay.filesDir ?? resolve(stateDir, 'results'), cwd) },
    udf: { ...config.udf, boundaries: absolute(config.udf.boundaries, cwd), bindAddress: config.udf.bindAddress ?? (inContainers ? '0.0.0.0' : host) },
    job: {
      ...config.job,
      udfLookupUrl: config.job.udfLookupUrl ?? `http://${inContainers ? IN_CONTAINERS.host : host}:${config.udf.port}/lookup`,
      kafkaBootstrapServers: config.job.kafkaBootstrapServers ?? (inContainers && stackKafka ? IN_CONTAINERS.kafka : bootstrapServers),
      exactlyOnce: config.job.exactlyOnce ?? config.kafka.connectionString === undefined,
    },
  };
}

/** `Endpoint=sb://ns.servicebus.windows.net/;...` → `ns.servicebus.windows.net:9093`. */
export function eventHubsKafkaEndpoint(connectionString: string): string {
  const match = /Endpoint=sb:\/\/([^/;]+)\/?/i.exec(connectionString);
  if (!match) throw new UserError('TIPSTREAM_CONFIG', 'the Event Hubs connection string has no Endpoint=sb://<namespace>.servicebus.windows.net/');
  return `${match[1]}:9093`;
}

/** The settings with nothing but the built-in defaults: what `--help` shows as each flag's default. */
export function builtInDefaults(): ResolvedConfig {
  return resolveDerived(configSchema.parse(defaultConfig({ HOME: homedir() })), '.');
}

/**
 * The log level before any configuration is loaded (the logger exists from the first import):
 * TIPSTREAM_LOG_LEVEL, else silent under jest, else info. `logLevel` defaults to the same.
 */
export function logLevelFromEnvironment(env: NodeJS.ProcessEnv = process.env): z.infer<typeof logLevel> {
  const parsed = logLevel.safeParse(env[`${ENV_PREFIX}LOG_LEVEL`]);
  if (parsed.success) return parsed.data;
  return env.NODE_ENV === 'test' ? 'silent' : 'info';
}

/** Whether this runs in CI (progress bars and steps stay off there). */
export function runningInCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true';
}

/**
 * The environment a child process of tipstream inherits (the stack's JVMs, the udf-service,
 * the supervisor): this process's own, with `extra` set and undefined entries removed.
 */
export function childEnvironment(extra: NodeJS.ProcessEnv = {}, options: { withoutTipstreamSettings?: boolean } = {}): NodeJS.ProcessEnv {
  const base = options.withoutTipstreamSettings ? Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith(ENV_PREFIX))) : process.env;
  return Object.fromEntries(Object.entries({ ...base, ...extra }).filter(([, value]) => value !== undefined)) as NodeJS.ProcessEnv;
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

function optionalDefaultFile(cwd: string): string | undefined {
  return existsSync(resolve(cwd, DEFAULT_CONFIG_FILE)) ? DEFAULT_CONFIG_FILE : undefined;
}

function readConfigFile(path: string): Plain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read config file ${path}`, { cause });
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (cause) {
    throw new ConfigError(`config file ${path} is not valid YAML or JSON`, { cause });
  }
  if (value === null || value === undefined) return {};
  if (!isPlain(value)) throw new ConfigError(`config file ${path} must hold a mapping of settings`);
  return value;
}

/** `stack.ports.kafka` → `TIPSTREAM_STACK_PORTS_KAFKA`. */
export function envName(path: string): string {
  return ENV_PREFIX + path.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase();
}

/** Every leaf of the default tree (and the optional ones) may be set from the environment. */
function fromEnvironment(env: NodeJS.ProcessEnv): Plain {
  const out: Plain = {};
  for (const path of settingPaths(configSchema)) {
    const value = env[envName(path)];
    if (value !== undefined && value !== '') setPath(out, path, value);
  }
  return out;
}

/** Dotted paths of every leaf setting the schema knows. */
export function settingPaths(schema: z.ZodType, prefix = ''): string[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, child]) =>
      settingPaths(child, prefix ? `${prefix}.${key}` : key),
    );
  }
  return [prefix];
}

function unwrap(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodOptional ? unwrap(schema.unwrap() as z.ZodType) : schema;
}

function mergeInto(target: Plain, source: Plain, prefix: string, sources: Map<string, string>, label: (path: string) => string): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    const existing = target[key];
    if (isPlain(value) && isPlain(existing)) {
      mergeInto(existing, value, path, sources, label);
    } else {
      target[key] = value;
      sources.set(path, label(path));
    }
  }
}

/** Sets a dotted path in a plain object tree, creating the objects on the way. */
export function setPath(target: Plain, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlain(node[key])) node[key] = {};
    node = node[key] as Plain;
  }
  node[keys[keys.length - 1]!] = value;
}

function sourceOfParent(sources: Map<string, string>, path: string): string | undefined {
  for (const [known, source] of sources) if (known.startsWith(`${path}.`) || path.startsWith(`${known}.`)) return source;
  return undefined;
}

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether the environment asks for a number of TaskManagers (TIPSTREAM_STACK_TASK_MANAGERS), as `--taskmanagers` does. */
export function taskManagersFromEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TIPSTREAM_STACK_TASK_MANAGERS !== undefined;
}
