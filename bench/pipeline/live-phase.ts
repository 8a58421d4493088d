// bench:pipeline's live phase: `tipstream start --live` as a person runs it, and the time from a
// window's due moment to its first row in Cassandra.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { runLive } from '../../cli/live/index.js';
import { liveDefaults } from '../../cli/start.js';
import { loadConfig } from '../../common/config.js';
import { parseDurationMs } from '../../common/duration.js';
import { deleteTopics, uniqueName } from '../../test/support/kafka.js';
import { percentile, windowTime } from './runs.js';

/**
 * Live mode as `tipstream start --live` runs it (its defaults: 1-minute windows, checkpoints every
 * second; heartbeats; the relay), for BENCH_LIVE_SECONDS (default 120) of wall time at 60x. A
 * window [s, e) is due when the live clock passes e + the watermark delay; from then to its first
 * row written in Cassandra by the relay is the latency measured. The first 20 s (start-up) are left out.
 */
export async function runLivePhase(udfUrl: string): Promise<void> {
  const seconds = Number(process.env.BENCH_LIVE_SECONDS ?? 120);
  const topics = { rideTopic: uniqueName('live-rides'), fareTopic: uniqueName('live-fares'), deadLetterTopic: uniqueName('live-dl'), statsTopic: uniqueName('live-stats') };
  const keyspace = `bench_live_${uniqueName('k').slice(2).replace(/-/g, '')}`;
  const config = loadConfig({
    commandDefaults: liveDefaults,
    overrides: { stateDir: await mkdtemp(join(tmpdir(), 'tipstream-bench-live-')), kafka: topics, cassandra: { keyspace }, job: { udfLookupUrl: udfUrl } },
  });
  const delayMs = Math.max(parseDurationMs(config.job.rideWatermarkDelay, 'job.rideWatermarkDelay'), parseDurationMs(config.job.fareWatermarkDelay, 'job.fareWatermarkDelay'));
  const windowMs = parseDurationMs(config.job.windowSize, 'job.windowSize');
  const speedup = 60;
  const firstRow = new Map<number, number>();
  let clock: (() => number) | undefined;
  let clockAt = 0;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), seconds * 1000);
  try {
    await runLive(config, {
      speedup,
      malformedRate: 0,
      signal: abort.signal,
      name: uniqueName('bench-live'),
      onClock: (c) => {
        clock = c;
        clockAt = Date.now();
      },
      onRows: (rows) => {
        for (const row of rows) if (!firstRow.has(windowTime(row.windowEnd))) firstRow.set(windowTime(row.windowEnd), Date.now());
      },
    });
  } finally {
    clearTimeout(timer);
  }
  if (!clock) throw new Error('live mode did not start its clock');
  // The clock is linear: event time e is reached at wall clockAt + (e - clock at clockAt) / speedup.
  const eventAtStart = clock() - (Date.now() - clockAt) * speedup;
  const dueAt = (end: number) => clockAt + (end + delayMs - eventAtStart) / speedup;
  const latencies = [...firstRow]
    .filter(([end]) => dueAt(end) - clockAt >= 20_000)
    .map(([end, at]) => ({ end, seconds: (at - dueAt(end)) / 1000 }))
    .sort((a, b) => a.seconds - b.seconds);
  if (latencies.length === 0) {
    console.log('live latency: no window closed after the first 20 s');
    return;
  }
  const values = latencies.map((l) => l.seconds);
  console.log(
    `live (start --live defaults: ${config.job.windowSize} windows, checkpoints every ${config.job.checkpointInterval}, ${speedup}x), window end + delay → first row in Cassandra: p50 ${percentile(values, 0.5).toFixed(2)} s, p90 ${percentile(values, 0.9).toFixed(2)} s, p99 ${percentile(values, 0.99).toFixed(2)} s, max ${values.at(-1)!.toFixed(2)} s over ${values.length} windows (of ${windowMs / 60_000} min event time each)`,
  );
  const client = new cassandra.Client({ contactPoints: config.cassandra.contactPoints, localDataCenter: config.cassandra.localDataCenter, protocolOptions: { port: config.cassandra.port } });
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown().catch(() => undefined);
  await deleteTopics(config.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
}
