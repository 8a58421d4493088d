import { Registry } from 'prom-client';
import type { JobDetails, JobVertex } from '../../../clients/index.js';
import { summarizeStackTrace } from '../../../clients/index.js';
import { collectJobMetrics, jobMetricsGauges, type MetricsSource } from '../../../orchestrator/job-metrics.js';

const vertex = (id: string, name: string, read: number, write: number): JobVertex => ({ id, name, parallelism: 2, status: 'RUNNING', metrics: { 'read-records': read, 'write-records': write, 'read-records-complete': true, 'write-records-complete': true } });

// Vertex names as Flink 2.2 prints them for the tipstream job (shortened).
const job = (state: JobDetails['state']): JobDetails => ({
  jid: 'j1',
  name: 'tipstream',
  state,
  'start-time': 0,
  duration: 61_400,
  vertices: [
    vertex('v1', 'Source: ride_source[1] -> Calc[2]', 0, 1000),
    vertex('v2', 'Source: fare_source[5] -> Calc[6]', 0, 990),
    vertex('v3', 'Calc[3] -> dead_letter_rides[4]: Writer -> dead_letter_rides[4]: Committer', 7, 7),
    vertex('v4', 'Calc[7] -> dead_letter_fares[8]: Writer', 3, 3),
    vertex('v7', 'implausible_rides[15]: Writer -> implausible_rides[15]: Committer', 2, 2),
    vertex('v8', 'implausible_fares[16]: Writer -> implausible_fares[16]: Committer', 1, 1),
    vertex('v5', 'IntervalJoin[9] -> LookupJoin[10] -> LocalWindowAggregate[11]', 1980, 400),
    vertex('v6', 'GlobalWindowAggregate[12] -> Calc[13] -> neighborhood_stats[14]: Writer', 400, 40),
  ],
});

/** Flink before its web monitor has fetched a fresh job's metrics: counts 0 and incomplete, one subtask listed. */
function notYetFetched(details: JobDetails): JobDetails {
  return { ...details, vertices: details.vertices.map((v) => ({ ...v, metrics: { 'read-records': 0, 'write-records': 0, 'read-records-complete': false, 'write-records-complete': false } })) };
}

function fakeFlink(state: JobDetails['state'], watermarks: Record<string, Array<number | null>>, fetched = true): MetricsSource & { watermarkCalls: string[] } {
  const watermarkCalls: string[] = [];
  const subtasks = fetched ? ['0', '1'] : ['0'];
  const each = (...names: string[]) => subtasks.flatMap((n) => names.map((name) => `${n}.${name}`));
  return {
    watermarkCalls,
    job: async () => (fetched ? job(state) : notYetFetched(job(state))),
    checkpoints: async () => ({ counts: { completed: 4, failed: 1 }, latest: { completed: { latest_ack_timestamp: 5, end_to_end_duration: 1500 } } }),
    vertexMetricIds: async (_job, id) =>
      id === 'v5' ? each('IntervalJoin[9].numRecordsIn', 'IntervalJoin[9].numRecordsOut', 'LookupJoin[10].numRecordsOut') : id === 'v6' ? each('GlobalWindowAggregate[12].numLateRecordsDropped') : [],
    vertexMetric: async (_job, id, metric) => ({ 'IntervalJoin[9].numRecordsOut': 985, 'IntervalJoin[9].numRecordsIn': 1990, 'GlobalWindowAggregate[12].numLateRecordsDropped': 5 } as Record<string, number>)[metric] ?? (id === 'v0' ? 1 : undefined),
    vertexWatermarks: async (_job, id) => {
      watermarkCalls.push(id);
      return watermarks[id] ?? [];
    },
    jobMetric: async (_job, metric) => (metric === 'numRestarts' ? 3 : undefined),
    lastFailure: async () => ({ at: '2026-11-25T11:30:00.000Z', summary: 'Exception: Could not complete the stream element (cause: HttpStatusCodeValidationFailedException: Incorrect response code: 500)' }),
  };
}

describe('job metrics from the Flink REST API', () => {
  it('counts malformed records at the dead-letter sinks, reads per source, trips out of the join, and late drops', async () => {
    const m = await collectJobMetrics(fakeFlink('RUNNING', {}), 'j1');
    expect(m).toMatchObject({ state: 'RUNNING', uptimeSeconds: 61, malformedRides: 7, malformedFares: 3, implausibleRides: 2, implausibleFares: 1, ridesRead: 1000, faresRead: 990, tripsJoined: 985, lateRecordsDropped: 5, checkpointsCompleted: 4, checkpointsFailed: 1, lastCheckpointDurationMs: 1500, restarts: 3 });
    expect(m.lastFailure?.summary).toContain('Incorrect response code: 500');
  });

  it('counts what the full outer join leaves alone and the trips late for their window, and takes them off the join output', async () => {
    const flink = fakeFlink('RUNNING', {});
    const withDeadLetters = job('RUNNING');
    withDeadLetters.vertices.push(
      vertex('v7', 'unjoined_rides[15]: Writer -> unjoined_rides[15]: Committer', 4, 4),
      vertex('v8', 'unjoined_fares[16]: Writer -> unjoined_fares[16]: Committer', 1, 1),
      vertex('v9', 'late_trips[17]: Writer -> late_trips[17]: Committer', 2, 2),
    );
    const m = await collectJobMetrics({ ...flink, job: async () => withDeadLetters }, 'j1');
    expect(m).toMatchObject({ tripsJoined: 980, unjoinedRides: 4, unjoinedFares: 1, lateTrips: 2 });
    const registry = new Registry();
    jobMetricsGauges(registry).update(m);
    const text = await registry.metrics();
    expect(text).toContain('tipstream_unjoined_records_total{stream="ride"} 4');
    expect(text).toContain('tipstream_unjoined_records_total{stream="fare"} 1');
    expect(text).toContain('tipstream_late_trips_total 2');
  });

  it('says unknown (null), not 0, for every count Flink has not fetched from all subtasks yet', async () => {
    const m = await collectJobMetrics(fakeFlink('RUNNING', {}, false), 'j1');
    expect(m).toMatchObject({ malformedRides: null, malformedFares: null, ridesRead: null, faresRead: null, tripsJoined: null, lateRecordsDropped: null, windowWatermark: null });
    const registry = new Registry();
    jobMetricsGauges(registry).update(m);
    const text = await registry.metrics();
    for (const name of ['tipstream_malformed_rides_total', 'tipstream_trips_joined_total', 'tipstream_source_records_total{']) expect(text).not.toContain(name);
  });

  it("takes the global window aggregate's lowest subtask watermark, and its lag behind the clock", async () => {
    const flink = fakeFlink('RUNNING', { v6: [Date.parse('2013-01-01T00:10:00Z'), Date.parse('2013-01-01T00:07:00Z')], v5: [1, 1] });
    const m = await collectJobMetrics(flink, 'j1', () => Date.parse('2013-01-01T00:09:00Z'));
    expect(flink.watermarkCalls).toEqual(['v6']);
    expect(m.windowWatermark).toBe('2013-01-01T00:07:00.000Z');
    expect(m.watermarkLagSeconds).toBe(120);
  });

  it('reports no watermark while a subtask has none yet, or when the job no longer runs', async () => {
    expect((await collectJobMetrics(fakeFlink('RUNNING', { v6: [Date.parse('2013-01-01T00:10:00Z'), null] }), 'j1')).windowWatermark).toBeNull();
    const finished = await collectJobMetrics(fakeFlink('FINISHED', { v6: [5] }), 'j1');
    expect(finished).toMatchObject({ windowWatermark: null, watermarkLagSeconds: null, tripsJoined: null, lateRecordsDropped: null, malformedRides: 7 });
  });

  it('exports the poll as Prometheus gauges', async () => {
    const registry = new Registry();
    const gauges = jobMetricsGauges(registry);
    gauges.update(await collectJobMetrics(fakeFlink('RUNNING', { v6: [Date.parse('2013-01-01T00:07:00Z')] }), 'j1', () => Date.parse('2013-01-01T00:08:00Z')));
    const text = await registry.metrics();
    expect(text).toMatch(/^tipstream_malformed_rides_total 7$/m);
    expect(text).toMatch(/^tipstream_source_records_total\{stream="fare"\} 990$/m);
    expect(text).toMatch(/^tipstream_implausible_event_times_total\{stream="ride"\} 2$/m);
    expect(text).toMatch(/^tipstream_implausible_event_times_total\{stream="fare"\} 1$/m);
    expect(text).toMatch(/^tipstream_trips_joined_total 985$/m);
    expect(text).toMatch(/^tipstream_window_watermark_seconds 1356998820$/m);
    expect(text).toMatch(/^tipstream_watermark_lag_seconds 60$/m);
    expect(text).toMatch(/^tipstream_job_state\{state="RUNNING"\} 1$/m);
    expect(text).toMatch(/^tipstream_job_restarts_total 3$/m);
    gauges.down();
    expect(await registry.metrics()).toMatch(/^tipstream_job_metrics_up 0$/m);
  });

  it('leaves out what only a running job reports when the job ended before the first poll, and keeps its last value after', async () => {
    const ended = new Registry();
    jobMetricsGauges(ended).update(await collectJobMetrics(fakeFlink('FINISHED', { v6: [5] }), 'j1'));
    const text = await ended.metrics();
    expect(text).toMatch(/^tipstream_malformed_rides_total 7$/m);
    expect(text).toMatch(/^tipstream_job_state\{state="FINISHED"\} 1$/m);
    for (const name of ['tipstream_trips_joined_total', 'tipstream_late_records_dropped_total', 'tipstream_window_watermark_seconds', 'tipstream_watermark_lag_seconds']) {
      expect(text).not.toContain(name);
    }

    const seen = new Registry();
    const gauges = jobMetricsGauges(seen);
    gauges.update(await collectJobMetrics(fakeFlink('RUNNING', { v6: [Date.parse('2013-01-01T00:07:00Z')] }), 'j1'));
    gauges.update(await collectJobMetrics(fakeFlink('FINISHED', { v6: [5] }), 'j1'));
    expect(await seen.metrics()).toMatch(/^tipstream_trips_joined_total 985$/m);
  });
});

describe('a failure in one line', () => {
  // The shape Flink 2.2 recorded when the lookup service answered 500 (frames cut).
  const trace = [
    'java.lang.Exception: Could not complete the stream element: Record @ (undef) : +I(2013-01-01T00:00,0.06,-73.984871,40.753723).',
    '\tat org.apache.flink.streaming.api.operators.async.AsyncWaitOperator$ResultHandler.completeExceptionally(AsyncWaitOperator.java:681)',
    "Caused by: org.apache.flink.table.api.TableException: Failed to asynchronously lookup entries with key '+I(-73.984871,40.753723)'",
    '\tat org.apache.flink.table.functions.AsyncLookupFunction.lambda$eval$0(AsyncLookupFunction.java:56)',
    '\tSuppressed: java.lang.IllegalStateException: not the cause',
    '\tCaused by: org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox$MailboxClosedException: Mailbox is in state CLOSED',
    'Caused by: java.lang.RuntimeException: Exception during HTTP request',
    'Caused by: com.getindata.connectors.http.HttpStatusCodeValidationFailedException: Incorrect response code: 500',
    '\t... 12 more',
  ].join('\n');

  it('keeps the first line and the innermost top-level cause, without package names', () => {
    expect(summarizeStackTrace(trace)).toBe(
      'Exception: Could not complete the stream element: Record @ (undef) : +I(2013-01-01T00:00,0.06,-73.984871,40.753723). (cause: HttpStatusCodeValidationFailedException: Incorrect response code: 500)',
    );
  });

  it('says the first line alone when nothing caused it', () => {
    expect(summarizeStackTrace('org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy\n\tat x(y.java:1)')).toBe('JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy');
  });
});
