// The values of the job's SQL placeholders, from the configuration. This is the one place that
// decides what reaches SQL; sql-template.ts escapes each value for its position.
import type { ResolvedConfig } from '../common/config.js';
import { kafkaSqlOptions, transactionTimeoutSqlOption } from '../clients/index.js';
import { parseDurationMs } from '../common/duration.js';
import { flinkDuration, sqlInterval, type SqlValue } from './sql-template.js';
import { kafkaEndpoint } from '../common/client-options.js';

export interface JobOptions {
  /** Stop at the latest offsets, so a finite replay finishes and flushes every window. */
  bounded: boolean;
  /** Topic names for this deployment (tests use unique ones). */
  topics?: Partial<Pick<ResolvedConfig['kafka'], 'rideTopic' | 'fareTopic' | 'deadLetterTopic' | 'statsTopic'>>;
  /** Live mode's clock, which runs ahead of the wall: event time `eventAt` at wall time `wallAt`, `speedup` times faster. */
  clock?: LiveClock;
}

export interface LiveClock {
  wallAt: number;
  eventAt: number;
  speedup: number;
}

/**
 * The bounds of a plausible event time, as the job's functions read them (flink-udf/,
 * EventTimePolicy.java): milliseconds, 0 for a bound that is off. Only numbers, so nothing here
 * needs escaping beyond the string literal it becomes.
 */
export function eventTimePolicy(job: ResolvedConfig['job'], clock: LiveClock | undefined): string {
  const bound = (text: string, name: string) => (text.trim() === 'off' ? 0 : parseDurationMs(text, name));
  const earliest = job.earliestEventTime.trim() === 'off' ? Number.MIN_SAFE_INTEGER : Date.parse(job.earliestEventTime);
  const parts = [
    `maxAheadOfClock=${bound(job.maxAheadOfClock, 'job.maxAheadOfClock')}`,
    `maxJump=${bound(job.maxJump, 'job.maxJump')}`,
    `earliest=${earliest}`,
  ];
  if (clock) parts.push(`clockWall=${Math.floor(clock.wallAt)}`, `clockEvent=${Math.floor(clock.eventAt)}`, `clockSpeedup=${clock.speedup}`);
  return parts.join(',');
}

/** `functionsJar`: the jar of flink-udf/ (functions-jar.ts), which the SQL Gateway ships with the job. */
export function jobValues(config: ResolvedConfig, options: JobOptions, functionsJar: string): Record<string, SqlValue> {
  const topics = { ...config.kafka, ...options.topics };
  const job = config.job;
  const text = (value: string) => ({ kind: 'string' as const, value });
  // Validate the intervals here too, so a bad one is reported before anything is submitted.
  sqlInterval(job.windowSize, 'job.windowSize');
  const statsDelivery: Record<string, string> = job.exactlyOnce
    ? {
        'sink.delivery-guarantee': 'exactly-once',
        'sink.transactional-id-prefix': `${job.consumerGroup}-${topics.statsTopic}`,
        // Readers see results only once the checkpoint that wrote them completed.
        ...transactionTimeoutSqlOption(),
      }
    : { 'sink.delivery-guarantee': 'at-least-once' };
  return {
    FUNCTIONS_JAR: text(functionsJar),
    RIDE_TOPIC: text(topics.rideTopic),
    FARE_TOPIC: text(topics.fareTopic),
    DEAD_LETTER_TOPIC: text(topics.deadLetterTopic),
    STATS_TOPIC: text(topics.statsTopic),
    BOOTSTRAP_SERVERS: text(config.job.kafkaBootstrapServers),
    CONSUMER_GROUP: text(job.consumerGroup),
    STARTUP_MODE: text(job.startupMode),
    // Bounded, every partition holds all its data from the start, so none is ever quiet; marking a
    // merely slow one idle (rides wait on lookups, fares do not) let the join's watermark run ahead
    // with the fares, and the first rides then found their fares already cleaned up.
    IDLE_TIMEOUT: { kind: 'options', value: options.bounded ? {} : { 'scan.watermark.idle-timeout': flinkDuration(job.idleTimeout, 'job.idleTimeout') } },
    RIDE_WATERMARK_DELAY: { kind: 'interval', value: job.rideWatermarkDelay },
    FARE_WATERMARK_DELAY: { kind: 'interval', value: job.fareWatermarkDelay },
    WINDOW_SIZE: { kind: 'interval', value: job.windowSize },
    EVENT_TIME_POLICY: text(eventTimePolicy(job, options.clock)),
    BOUNDED_MODE: { kind: 'options', value: options.bounded ? { 'scan.bounded.mode': 'latest-offset' } : {} },
    KAFKA_SECURITY: { kind: 'options', value: kafkaSqlOptions(kafkaEndpoint(config)), secret: true },
    STATS_DELIVERY: { kind: 'options', value: statsDelivery },
    // A dead-letter sink whose parallelism differs from the job's cannot be chained behind the
    // filter that picks malformed rows, so its vertex's records-in is exactly the malformed count
    // (chained, it would count every row the filter saw).
    DEAD_LETTER_SINK: { kind: 'options', value: { 'sink.parallelism': job.parallelism === 1 ? '2' : '1' } },
    UDF_LOOKUP_URL: text(job.udfLookupUrl),
    UDF_REQUEST_TIMEOUT: text(String(job.udfRequestTimeoutSeconds)),
  };
}

/** SQL Gateway session properties for the job. */
export function sessionProperties(config: ResolvedConfig, jobName: string): Record<string, string> {
  return {
    'pipeline.name': jobName,
    'parallelism.default': String(config.job.parallelism),
    // Fixed, so that a savepoint of one parallelism restores into another (its key groups).
    // Operator ids stay Flink's hashes of the graph, which a parallelism change leaves alone (every
    // operator follows parallelism.default, the dead-letter sinks keep theirs: job-values.ts). Not
    // table.exec.uid.generation ALWAYS: without a compiled plan its uids come from the planner's
    // node counter, which runs on in the SQL Gateway between deployments, so no savepoint would
    // ever map (seen: the first rescale refused every operator).
    'pipeline.max-parallelism': String(config.job.maxParallelism),
    'execution.checkpointing.interval': flinkDuration(config.job.checkpointInterval, 'job.checkpointInterval'),
    'execution.checkpointing.mode': 'EXACTLY_ONCE',
    'state.backend.type': 'hashmap',
    'restart-strategy.type': 'exponential-delay',
    // The lookup connector's own timeout stays below this, or timed-out calls back up the queue.
    'table.exec.async-lookup.timeout': `${Math.max(60, config.job.udfRequestTimeoutSeconds * 4)} s`,
    'table.local-time-zone': 'UTC',
    // The views the statement set reads more than once (the parsed streams, the join's output)
    // are planned once and shared: without it each sink gets its own copy of the parse and of the
    // interval join, each reading every record.
    'table.optimizer.reuse-optimize-block-with-digest-enabled': 'true',
    // Chained operators hand records on without copying them. Off, every record the parse fans out
    // to the join and the dead-letter branches (and the join to its three) was deep-copied, payload
    // and all, once per branch: this alone made the job 1.235x faster (bench:pipeline, 4M trips).
    // The planner's operators and tipstream's functions (flink-udf/) never keep a record they were
    // handed, which is what object reuse asks of them.
    'pipeline.object-reuse': 'true',
  };
}
