// The pipeline's health from the Flink REST API: malformed rides and fares and those with an
// implausible event time (the record counts of their dead-letter sinks), records read per source, trips joined, late records dropped,
// checkpoints, the window operator's watermark and job state; exported as Prometheus text by `tipstream metrics --serve`.
import { createServer, type Server } from 'node:http';
import { Gauge, Registry } from 'prom-client';
import { childLogger } from '../common/logger.js';
import type { FlinkRestClient, JobDetails, JobVertex } from '../clients/index.js';

const log = childLogger('metrics');

export interface JobMetrics {
  jobId: string;
  state: string;
  uptimeSeconds: number;
  // A count is null ("unknown") until Flink has fetched it from every subtask: its web monitor
  // loads metrics lazily, so the first answers for a fresh job read 0 where nothing is known yet.
  malformedRides: number | null;
  malformedFares: number | null;
  /** Well-formed rides and fares whose event time is implausible (README, "Event time and bad clocks"): in the dead letters, they moved no watermark. */
  implausibleRides: number | null;
  implausibleFares: number | null;
  /** Records each source handed on (good and malformed). */
  ridesRead: number | null;
  faresRead: number | null;
  /** Rides that met their fare in the interval join (each becomes one trip in a window); null when the job no longer runs. */
  tripsJoined: number | null;
  /** Good rides and fares that met no partner in the join (late for it, or their partner never came), in the dead letters. */
  unjoinedRides: number | null;
  unjoinedFares: number | null;
  /** Joined trips whose window had already closed, in the dead letters as 'late for window'. */
  lateTrips: number | null;
  /** Records dropped by the window for arriving behind the watermark; null when the job no longer runs. */
  lateRecordsDropped: number | null;
  checkpointsCompleted: number;
  checkpointsFailed: number;
  lastCheckpointDurationMs: number | null;
  /** The event time up to which windows have closed (the window operator's lowest input watermark); null when none yet or not running. */
  windowWatermark: string | null;
  /** Wall clock minus that watermark: how far results trail real time (for a replay of old trips, mostly the trips' age). */
  watermarkLagSeconds: number | null;
  /** How often the job restarted after a failure (a udf-service answering errors makes it restart until it recovers). */
  restarts: number | null;
  /** The latest failure, when there was one: when, and the exception with its innermost cause. */
  lastFailure: { at: string; summary: string } | null;
}

/** The parts of the REST client the metrics use (a test can stand in for Flink). */
export type MetricsSource = Pick<FlinkRestClient, 'job' | 'checkpoints' | 'vertexMetricIds' | 'vertexMetric' | 'vertexWatermarks' | 'jobMetric' | 'lastFailure'>;

/** The vertex whose chain ends in (or starts with) the named table's operator. */
function vertexOf(job: JobDetails, table: string, role: 'source' | 'sink'): JobVertex | undefined {
  return job.vertices.find((v) => (role === 'source' ? v.name.startsWith(`Source: ${table}[`) : new RegExp(`(^|-> )${table}\\[\\d+\\]: Writer`).test(v.name)));
}

/** '1.GlobalWindowAggregate[12].numLateRecordsDropped' → 'GlobalWindowAggregate[12].numLateRecordsDropped'. */
const operatorMetric = (subtaskMetricId: string) => subtaskMetricId.replace(/^\d+\./, '');

/**
 * An operator metric summed over the vertex's subtasks, or null while some subtask has not
 * reported it yet (a sum over the subtasks that did would understate it).
 */
async function subtaskSum(flink: MetricsSource, job: JobDetails, vertex: JobVertex, ids: string[], name: string): Promise<number | null> {
  const reporting = ids.filter((id) => operatorMetric(id) === name).length;
  if (reporting < vertex.parallelism) return null;
  return (await flink.vertexMetric(job.jid, vertex.id, name)) ?? null;
}

/** Late drops, summed over the operators that count them (the window aggregates; the SQL interval join counts none). */
async function lateRecordsDropped(flink: MetricsSource, job: JobDetails): Promise<number | null> {
  if (job.state !== 'RUNNING') return null;
  let total: number | null = null;
  for (const vertex of job.vertices) {
    // A vertex lists its metrics per subtask ('0.X', '1.X'); the subtask aggregate takes the bare name.
    const ids = await flink.vertexMetricIds(job.jid, vertex.id);
    const names = new Set(ids.filter((id) => id.endsWith('.numLateRecordsDropped')).map(operatorMetric));
    for (const name of names) {
      const value = await subtaskSum(flink, job, vertex, ids, name);
      if (value === null) return null;
      total = (total ?? 0) + value;
    }
  }
  return total;
}

/**
 * Rows out of the interval join: joined trips, plus (a full outer join since no-silent-loss) the
 * rides and fares that met no partner. A job from before that has no unjoined sinks, and its join
 * puts out trips only.
 */
async function joinOutput(flink: MetricsSource, job: JobDetails): Promise<number | null> {
  if (job.state !== 'RUNNING') return null;
  const vertex = job.vertices.find((v) => /(^|-> )IntervalJoin\[\d+\]/.test(v.name));
  if (!vertex) return null;
  const ids = await flink.vertexMetricIds(job.jid, vertex.id);
  const id = ids.find((m) => /^\d+\.IntervalJoin\[\d+\]\.numRecordsOut$/.test(m));
  if (!id) return null;
  return subtaskSum(flink, job, vertex, ids, operatorMetric(id));
}

/** The lowest input watermark over the subtasks of the window aggregate (the global phase when split in two). */
async function windowWatermark(flink: MetricsSource, job: JobDetails): Promise<number | null> {
  if (job.state !== 'RUNNING') return null;
  const vertex = job.vertices.find((v) => /(?<!Local)WindowAggregate\[/.test(v.name));
  if (!vertex) return null;
  const marks = await flink.vertexWatermarks(job.jid, vertex.id);
  if (marks.length === 0 || marks.some((m) => m === null)) return null;
  return Math.min(...(marks as number[]));
}

/** Joined trips: the join's output less the rides and fares that left it alone (none in a job without those sinks). */
function tripsJoined(joinOut: number | null, unjoinedRides: number | null, unjoinedFares: number | null): number | null {
  if (joinOut === null) return null;
  if (unjoinedRides === null || unjoinedFares === null) return joinOut;
  return joinOut - unjoinedRides - unjoinedFares;
}

export async function collectJobMetrics(flink: MetricsSource, jobId: string, now: () => number = Date.now): Promise<JobMetrics> {
  const job = await flink.job(jobId);
  const watermark = await windowWatermark(flink, job).catch((err: unknown) => {
    log.warn({ err }, 'watermark unavailable');
    return null;
  });
  const checkpoints = await flink.checkpoints(jobId).catch(() => undefined);
  const read = (table: string, role: 'source' | 'sink', field: 'read-records' | 'write-records'): number | null => {
    const metrics = vertexOf(job, table, role)?.metrics;
    if (!metrics) return null;
    return metrics[`${field}-complete`] === false ? null : metrics[field];
  };
  const joined = await joinOutput(flink, job).catch((err: unknown) => {
    log.warn({ err }, 'join counts unavailable');
    return null;
  });
  const unjoinedRides = read('unjoined_rides', 'sink', 'read-records');
  const unjoinedFares = read('unjoined_fares', 'sink', 'read-records');
  return {
    jobId,
    state: job.state,
    uptimeSeconds: Math.round(job.duration / 1000),
    malformedRides: read('dead_letter_rides', 'sink', 'read-records'),
    malformedFares: read('dead_letter_fares', 'sink', 'read-records'),
    implausibleRides: read('implausible_rides', 'sink', 'read-records'),
    implausibleFares: read('implausible_fares', 'sink', 'read-records'),
    ridesRead: read('ride_source', 'source', 'write-records'),
    faresRead: read('fare_source', 'source', 'write-records'),
    tripsJoined: tripsJoined(joined, unjoinedRides, unjoinedFares),
    unjoinedRides,
    unjoinedFares,
    lateTrips: read('late_trips', 'sink', 'read-records'),
    lateRecordsDropped: await lateRecordsDropped(flink, job).catch((err: unknown) => {
      log.warn({ err }, 'late-record counts unavailable');
      return null;
    }),
    checkpointsCompleted: checkpoints?.counts.completed ?? 0,
    checkpointsFailed: checkpoints?.counts.failed ?? 0,
    lastCheckpointDurationMs: checkpoints?.latest?.completed?.end_to_end_duration ?? null,
    windowWatermark: watermark === null ? null : new Date(watermark).toISOString(),
    watermarkLagSeconds: watermark === null ? null : Math.round((now() - watermark) / 1000),
    restarts: (await flink.jobMetric(jobId, 'numRestarts').catch(() => undefined)) ?? null,
    lastFailure: (await flink.lastFailure(jobId).catch(() => undefined)) ?? null,
  };
}

const JOB_STATES = ['INITIALIZING', 'CREATED', 'RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'RESTARTING', 'SUSPENDED', 'RECONCILING'];

/** Prometheus gauges fed from the latest poll. Counts are gauges: Flink owns the running totals. */
export function jobMetricsGauges(registry: Registry) {
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  // What only a running job reports is exported from its first value on: an unlabelled gauge
  // reads 0 until set, and a job that ended before the first poll has no 0 late records to show.
  const once = (name: string, help: string) => {
    const g = new Gauge({ name, help, registers: [] });
    return (value: number | null) => {
      if (value === null) return;
      if (!registry.getSingleMetric(name)) registry.registerMetric(g);
      g.set(value);
    };
  };
  const g = {
    malformedRides: once('tipstream_malformed_rides_total', 'Malformed rides sent to the dead-letter topic'),
    malformedFares: once('tipstream_malformed_fares_total', 'Malformed fares sent to the dead-letter topic'),
    implausible: new Gauge({ name: 'tipstream_implausible_event_times_total', help: 'Well-formed rides and fares whose event time is implausible (too far ahead of the clock or of their partition, or too early), sent to the dead-letter topic', labelNames: ['stream'], registers: [registry] }),
    recordsRead: gauge('tipstream_source_records_total', 'Records read per source (absent until Flink has the count)', ['stream']),
    joined: once('tipstream_trips_joined_total', 'Rides that met their fare in the interval join'),
    unjoined: new Gauge({ name: 'tipstream_unjoined_records_total', help: 'Good rides and fares that met no partner in the join, sent to the dead-letter topic', labelNames: ['stream'], registers: [registry] }),
    lateTrips: once('tipstream_late_trips_total', "Joined trips whose window had closed, sent to the dead-letter topic as 'late for window'"),
    late: once('tipstream_late_records_dropped_total', 'Records dropped by the window for arriving late'),
    checkpoints: gauge('tipstream_checkpoints_total', 'Checkpoints by outcome', ['outcome']),
    checkpointDuration: once('tipstream_last_checkpoint_duration_seconds', 'End-to-end duration of the latest completed checkpoint'),
    watermark: once('tipstream_window_watermark_seconds', 'Event time (seconds since the epoch) up to which windows have closed'),
    watermarkLag: once('tipstream_watermark_lag_seconds', 'Wall clock minus the window watermark'),
    restarts: once('tipstream_job_restarts_total', 'Restarts of the job after a failure (see `tipstream status` for the latest cause)'),
    state: gauge('tipstream_job_state', '1 for the job state the job is in', ['state']),
    up: gauge('tipstream_job_metrics_up', '1 when the last poll of the Flink REST API succeeded'),
  };
  return {
    update(m: JobMetrics) {
      g.malformedRides(m.malformedRides);
      g.malformedFares(m.malformedFares);
      if (m.implausibleRides !== null) g.implausible.set({ stream: 'ride' }, m.implausibleRides);
      if (m.implausibleFares !== null) g.implausible.set({ stream: 'fare' }, m.implausibleFares);
      if (m.ridesRead !== null) g.recordsRead.set({ stream: 'ride' }, m.ridesRead);
      if (m.faresRead !== null) g.recordsRead.set({ stream: 'fare' }, m.faresRead);
      g.joined(m.tripsJoined);
      if (m.unjoinedRides !== null) g.unjoined.set({ stream: 'ride' }, m.unjoinedRides);
      if (m.unjoinedFares !== null) g.unjoined.set({ stream: 'fare' }, m.unjoinedFares);
      g.lateTrips(m.lateTrips);
      g.late(m.lateRecordsDropped);
      g.checkpoints.set({ outcome: 'completed' }, m.checkpointsCompleted);
      g.checkpoints.set({ outcome: 'failed' }, m.checkpointsFailed);
      g.checkpointDuration(m.lastCheckpointDurationMs === null ? null : m.lastCheckpointDurationMs / 1000);
      g.watermark(m.windowWatermark === null ? null : Date.parse(m.windowWatermark) / 1000);
      g.watermarkLag(m.watermarkLagSeconds);
      g.restarts(m.restarts);
      for (const state of JOB_STATES) g.state.set({ state }, state === m.state ? 1 : 0);
      g.up.set(1);
    },
    down() {
      g.up.set(0);
    },
  };
}

/** Serves `registry` as Prometheus text on /metrics. */
export function serveMetrics(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
