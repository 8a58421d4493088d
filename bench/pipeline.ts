// `npm run bench:pipeline` (stack up): trips/s through the Flink job (parse, join, lookup of both
// points, window) for N synthetic trips already in Kafka (default 1M = 2M events), against the
// Spark peer (../shared/peer-spark) on the same topics in the same run: BENCH_ROUNDS rounds
// (default 3), the order alternating, each side's trips/s, the ratio and the medians; both
// results must be equal. tipstream's time is Flink's job duration, the peer's its main run.
// BENCH_SQL_DIR runs the job from other templates (an older sql/, to measure before and after).
// BENCH_BEFORE=<git ref> also runs, in every round beside the current job, the job of that
// commit (its sql/ and flink-udf/) on the same topics: the ratio current / before, per round and
// its median, is what a change cost (issue #20's guard was measured so); BENCH_PEER=0 leaves the
// peer out of those rounds (the two jobs' results are then compared with each other).
// BENCH_WARMUP=0 skips the unmeasured warm-up run of the current job before round 1.
// BENCH_PROFILE=1 records the TaskManager with JFR during each tipstream run and prints where its
// CPU samples are, by package. BENCH_PHASES=enrichment also runs the job with a constant
// neighborhood (the lookup's cost). Then the time from a window's close to its result: the DEBS
// sample replayed 60x faster than it happened into an unbounded job with 1-minute windows, read
// back read-committed, exactly-once and then at-least-once. BENCH_PHASES=throughput or
// BENCH_PHASES=latency runs one part only. BENCH_PHASES=scaling (with throughput or alone) runs
// the same trips at parallelism 1, 2 and 4 on one and two TaskManagers beside the peer at local[1],
// local[2] and local[4] (bench/scaling-phase.ts).
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import axios from 'axios';
import { loadConfig, projectRoot, type ResolvedConfig } from '../common/config.js';
import { createProgress } from '../common/progress.js';
import { Consumer, FetchIsolationLevels, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import { defaultInputs, KafkaTransport, replay, type Transport } from '../generator/index.js';
import { collectJobMetrics, deployJob, runRelay } from '../orchestrator/index.js';
import { ensureTopics, FlinkRestClient } from '../clients/index.js';
import cassandra from 'cassandra-driver';
import { sqlDir } from '../orchestrator/sql-template.js';
import { runLive } from '../cli/live/index.js';
import { liveDefaults } from '../cli/start.js';
import { parseDurationMs } from '../common/duration.js';
import { LocalStackProvider } from '../stack/index.js';
import { findJava17 } from '../stack/java.js';
import { deleteTopics, readMessages, uniqueName } from '../test/support/kafka.js';
import { compareResults, freePort, loadNow, median, runPeer, runTipstream, TaskManagerProfile, windowTime, type JobSources, type SideResult } from './pipeline-runs.js';
import { runScalingPhase } from './scaling-phase.js';
import { machineState } from './machine-quiet.js';

const trips = Number(process.env.BENCH_TRIPS ?? 1_000_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const phases = new Set((process.env.BENCH_PHASES ?? 'throughput,live,latency').split(','));
const base = loadConfig();
/** The job's SQL with the lookup replaced by a constant neighborhood. */
async function constantLookupSql(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tipstream-bench-sql-'));
  await cp(sqlDir, dir, { recursive: true });
  const file = join(dir, '04-enrich-and-join.sql');
  const text = await readFile(file, 'utf8');
  const start = text.indexOf('CREATE TEMPORARY VIEW trips AS');
  await writeFile(file, `${text.slice(0, start)}CREATE TEMPORARY VIEW trips AS
SELECT medallion, hackLicense, vendorId, pickupTime, 'Midtown' AS pickupNeighborhood, 'Midtown' AS dropoffNeighborhood,
  tripDistanceInMiles, fareAmount, tipAmount
FROM trips_unenriched;
`);
  return dir;
}

/** BENCH_BEFORE: that commit's sql/ and flink-udf/, unpacked into a temporary folder. */
async function sourcesAt(ref: string): Promise<JobSources> {
  const dir = await mkdtemp(join(tmpdir(), 'tipstream-bench-before-'));
  const archive = execFileSync('git', ['archive', '--format=tar', ref, 'sql', 'flink-udf'], { cwd: projectRoot, maxBuffer: 64 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  return { sqlDir: join(dir, 'sql'), functionsSourceDir: join(dir, 'flink-udf') };
}


/** Forwards batches and remembers, for each acknowledged one, its latest event time and when. */
class TimedTransport implements Transport {
  readonly description: string;
  readonly acks: Array<{ eventTime: number; wall: number }> = [];
  constructor(private readonly inner: Transport) {
    this.description = inner.description;
  }
  async send(batch: Parameters<Transport['send']>[0]): Promise<void> {
    let eventTime = -Infinity;
    for (const e of batch) if (e.time > eventTime) eventTime = e.time;
    await this.inner.send(batch);
    // A send may resolve once queued in the client: the time wanted is the acknowledgement's.
    await this.inner.flush?.();
    this.acks.push({ eventTime, wall: Date.now() });
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/**
 * A window [s, e) can close once both streams' watermarks pass e: the first moment the
 * generator's acknowledged events reach e + the watermark delay. From then to the first result
 * row of that window readable (read-committed) on the stats topic is the latency measured.
 */
async function windowLatency(label: string, config: ResolvedConfig, exactlyOnce: boolean) {
  const topics = { rideTopic: uniqueName('lat-rides'), fareTopic: uniqueName('lat-fares'), deadLetterTopic: uniqueName('lat-dl'), statsTopic: uniqueName('lat-stats') };
  const runConfig: ResolvedConfig = { ...config, job: { ...config.job, windowSize: '1 minute', exactlyOnce, consumerGroup: uniqueName('lat-job') } };
  const delayMs = 3 * 60_000;
  if (config.job.rideWatermarkDelay !== '3 minutes' || config.job.fareWatermarkDelay !== '3 minutes') throw new Error('the latency phase assumes the default 3-minute watermark delays');
  await ensureTopics(runConfig, Object.values(topics));
  const arrivals = new Map<number, number>();
  const consumer = new Consumer({ groupId: uniqueName('lat-reader'), clientId: 'tipstream-bench', bootstrapBrokers: config.kafka.bootstrapServers.split(','), deserializers: stringDeserializers });
  const stream = await consumer.consume({ topics: [topics.statsTopic], mode: MessagesStreamModes.EARLIEST, autocommit: false, isolationLevel: FetchIsolationLevels.READ_COMMITTED, maxWaitTime: 100 });
  const reading = (async () => {
    for await (const message of stream) {
      const end = windowTime((JSON.parse(String(message.value)) as { windowEnd: string }).windowEnd);
      if (!arrivals.has(end)) arrivals.set(end, Date.now());
    }
  })();
  // The relay into a fresh keyspace: a window counts as readable in Cassandra once the relay has
  // written its first row (it reports rows after the write is acknowledged).
  const keyspace = `bench_latency_${uniqueName('k').slice(2).replace(/-/g, '')}`;
  const inCassandra = new Map<number, number>();
  const relayAbort = new AbortController();
  const relaying = runRelay(
    { ...runConfig, kafka: { ...runConfig.kafka, statsTopic: topics.statsTopic }, cassandra: { ...runConfig.cassandra, keyspace } },
    {
      consumerGroup: uniqueName('lat-relay'),
      signal: relayAbort.signal,
      onRows: (rows) => {
        for (const row of rows) if (!inCassandra.has(windowTime(row.windowEnd))) inCassandra.set(windowTime(row.windowEnd), Date.now());
      },
    },
  );
  const flink = new FlinkRestClient(config.flink.restUrl);
  const deployment = await deployJob(runConfig, { bounded: false, topics, jobName: `bench latency ${label}` }, createProgress(false));
  const transport = new TimedTransport(new KafkaTransport({ bootstrapServers: config.kafka.bootstrapServers, rideTopic: topics.rideTopic, fareTopic: topics.fareTopic }));
  try {
    const replayStarted = Date.now();
    await replay(
      {
        source: { format: 'debs', input: defaultInputs.debs, faresLeadMs: 0, bufferCapacity: 10_000 },
        faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 },
        pacing: { kind: 'speedup', factor: 60 },
        batchSize: 500,
        rideTopic: topics.rideTopic,
        fareTopic: topics.fareTopic,
      },
      transport,
      createProgress(false),
    );
    // Windows that the replay closed, leaving out those closed in the first 20 s (job warm-up).
    const lastEventTime = Math.max(...transport.acks.map((a) => a.eventTime));
    const firstEventTime = Math.min(...transport.acks.map((a) => a.eventTime));
    const closes = new Map<number, number>();
    for (const ack of transport.acks) {
      const lastClosed = Math.floor((ack.eventTime - delayMs) / 60_000) * 60_000;
      for (let end = lastClosed; end > lastClosed - 3_600_000 && !closes.has(end); end -= 60_000) closes.set(end, ack.wall);
    }
    const measured = [...closes].filter(([end, wall]) => end - 60_000 >= firstEventTime && end + delayMs <= lastEventTime && wall - replayStarted >= 20_000);
    const deadline = Date.now() + 60_000;
    while (measured.some(([end]) => !arrivals.has(end) || !inCassandra.has(end)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    for (const [where, seen] of [['on the topic', arrivals], ['in Cassandra', inCassandra]] as const) {
      const byWindow = measured.flatMap(([end, wall]) => (seen.has(end) ? [{ end, seconds: (seen.get(end)! - wall) / 1000, sinceStart: (wall - replayStarted) / 1000 }] : []));
      const latencies = byWindow.map((w) => w.seconds).sort((a, b) => a - b);
      const slowest = byWindow.sort((a, b) => b.seconds - a.seconds).slice(0, 3);
      const missing = measured.length - latencies.length;
      if (latencies.length === 0) {
        console.log(`window close → result ${where}, ${label}: no window result arrived (${measured.length} windows expected)`);
        continue;
      }
      console.log(
        `window close → result ${where}, ${label}: p50 ${percentile(latencies, 0.5).toFixed(2)} s, p90 ${percentile(latencies, 0.9).toFixed(2)} s, p99 ${percentile(latencies, 0.99).toFixed(2)} s, max ${latencies[latencies.length - 1]!.toFixed(2)} s over ${latencies.length} windows${missing ? `; ${missing} windows had no result within 60 s` : ''}; slowest ${slowest.map((w) => `${new Date(w.end).toISOString().slice(11, 16)} ${w.seconds.toFixed(2)} s (closed ${w.sinceStart.toFixed(0)} s into the replay)`).join(', ')}`,
      );
    }
  } finally {
    relayAbort.abort();
    await relaying.catch(() => undefined);
    const client = new cassandra.Client({ contactPoints: config.cassandra.contactPoints, localDataCenter: config.cassandra.localDataCenter, protocolOptions: { port: config.cassandra.port } });
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await client.shutdown().catch(() => undefined);
    await transport.close().catch(() => undefined);
    await flink.cancel(deployment.jobId).catch(() => undefined);
    await stream.close().catch(() => undefined);
    await reading.catch(() => undefined);
    await consumer.close().catch(() => undefined);
    await deleteTopics(config.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
  }
}

/**
 * Live mode as `tipstream start --live` runs it (its defaults: 1-minute windows, checkpoints every
 * second; heartbeats; the relay), for BENCH_LIVE_SECONDS (default 120) of wall time at 60x. A
 * window [s, e) is due when the live clock passes e + the watermark delay; from then to its first
 * row written in Cassandra by the relay is the latency measured. The first 20 s (start-up) are left out.
 */
async function liveLatency(udfUrl: string) {
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

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}${phases.has('throughput') || phases.has('scaling') ? `; ${trips.toLocaleString('en-US')} synthetic trips` : ''}`);
const statuses = await new LocalStackProvider(base, createProgress(false)).status();
const pids: Record<string, number> = {};
for (const s of statuses) if (s.pid) pids[s.service] = s.pid;

// The udf-service as its own process, as in production, so its CPU is its own.
const udfPort = await freePort();
const udf = spawn(process.execPath, [resolve('bin/tipstream.js'), 'udf', 'serve', '--port', String(udfPort)], { stdio: 'ignore', env: { ...process.env, TIPSTREAM_LOG_LEVEL: 'warn' } });
const topics = { rideTopic: uniqueName('bench-rides'), fareTopic: uniqueName('bench-fares') };
try {
  const deadline = Date.now() + 60_000;
  while (!(await axios.get(`http://127.0.0.1:${udfPort}/readyz`).then(() => true, () => false))) {
    if (Date.now() > deadline) throw new Error('the udf-service did not get ready');
    await new Promise((r) => setTimeout(r, 300));
  }
  pids['udf-service'] = udf.pid!;
  const config = loadConfig({ overrides: { job: { udfLookupUrl: `http://127.0.0.1:${udfPort}/lookup` } } });
  if (phases.has('throughput') || phases.has('scaling')) {
    await ensureTopics(config, Object.values(topics));
    const transport = new KafkaTransport({ bootstrapServers: config.kafka.bootstrapServers, ...topics });
    const summary = await replay(
      {
        source: { format: 'synthetic', input: defaultInputs.synthetic, faresLeadMs: 0, bufferCapacity: 200_000, trips },
        faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 },
        pacing: { kind: 'fast' },
        batchSize: 5000,
        ...topics,
      },
      transport,
      createProgress(),
    ).finally(() => transport.close());
    console.log(`input: ${summary.sent.total.toLocaleString('en-US')} events written in ${summary.durationSeconds.toFixed(1)} s`);
  }
  if (phases.has('throughput')) {
    const profileDir = process.env.BENCH_PROFILE === '1' ? await mkdtemp(join(tmpdir(), 'tipstream-bench-jfr-')) : undefined;
    const javaBin = profileDir ? dirname(await findJava17()) : '';
    const results: Array<{ tipstream: number; peer: number; before?: number }> = [];
    const beforeRef = process.env.BENCH_BEFORE;
    const before = beforeRef ? await sourcesAt(beforeRef) : undefined;
    const current: JobSources = process.env.BENCH_SQL_DIR ? { sqlDir: process.env.BENCH_SQL_DIR } : {};
    // The first job on a fresh TaskManager pays for its JIT and class loading: measured as round 1,
    // it made the current job look 28% slower than BENCH_BEFORE's (0.718, against 0.86-1.03 after).
    // BENCH_WARMUP=0 leaves this unmeasured run out.
    if (process.env.BENCH_WARMUP !== '0') {
      const warm = await runTipstream('warm-up (not counted)', config, topics, pids, { sources: current });
      console.log(`  warm-up done (${Math.round(warm.tripsPerSecond).toLocaleString('en-US')} trips/s, not counted); ${loadNow()}`);
    }
    for (let round = 1; round <= rounds; round++) {
      // Alternate who goes first, so neither side always meets a warmer (or busier) machine.
      const withPeer = !(before && process.env.BENCH_PEER === '0');
      const sideNames = before ? ['tipstream', 'before', ...(withPeer ? ['peer'] : [])] : ['tipstream', 'peer'];
      const order = round % 2 === 1 ? sideNames : [...sideNames].reverse();
      console.log(`round ${round} of ${rounds}: ${order.join(' then ')}; ${(await machineState()).summary}`);
      const sides: Partial<Record<string, SideResult>> = {};
      for (const side of order) {
        const profile = profileDir && side === 'tipstream' ? new TaskManagerProfile(javaBin, pids['flink-taskmanager']!, profileDir, `round-${round}`) : undefined;
        if (side === 'tipstream') sides[side] = await runTipstream(`round ${round}`, config, topics, pids, { sources: current, ...(profile ? { profile } : {}) });
        else if (side === 'before') sides[side] = await runTipstream(`round ${round}, before (${beforeRef})`, config, topics, pids, { sources: before });
        else sides[side] = await runPeer(config, topics);
      }
      const ours = sides.tipstream!;
      // Without the peer, the job of BENCH_BEFORE is what the results are compared with.
      const peer = sides.peer ?? sides.before!;
      const difference = compareResults(ours.rows, peer.rows);
      if (difference) throw new Error(`round ${round}: the results differ: ${difference}`);
      if (sides.before) {
        const beforeDifference = compareResults(sides.before.rows, peer.rows);
        if (beforeDifference) throw new Error(`round ${round}: the results of ${beforeRef} differ from the peer's: ${beforeDifference}`);
      }
      results.push({ tipstream: ours.tripsPerSecond, peer: peer.tripsPerSecond, ...(sides.before ? { before: sides.before.tripsPerSecond } : {}) });
      console.log(`  results equal (${ours.rows.length.toLocaleString('en-US')} rows); ratio ${(ours.tripsPerSecond / peer.tripsPerSecond).toFixed(2)}x${sides.before ? `; current / before ${(ours.tripsPerSecond / sides.before.tripsPerSecond).toFixed(3)}` : ''}; ${(await machineState()).summary}`);
    }
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(`median of ${rounds} rounds: tipstream ${fmt(median(results.map((r) => r.tipstream)))} trips/s, peer ${fmt(median(results.map((r) => r.peer)))} trips/s; ratio per round ${results.map((r) => `${(r.tipstream / r.peer).toFixed(2)}x`).join(', ')}, median ${median(results.map((r) => r.tipstream / r.peer)).toFixed(2)}x`);
    if (before) {
      const ratios = results.map((r) => r.tipstream / r.before!);
      console.log(`current / before (${beforeRef}): per round ${ratios.map((r) => r.toFixed(3)).join(', ')}, median ${median(ratios).toFixed(3)}; before's median ${fmt(median(results.map((r) => r.before!)))} trips/s`);
    }
    if (phases.has('enrichment')) {
      const withLookup = median(results.map((r) => r.tipstream));
      const constant = await runTipstream('constant neighborhood', config, topics, pids, { sources: { sqlDir: await constantLookupSql() } });
      console.log(`enrichment cost: the job runs at ${(withLookup / constant.tripsPerSecond * 100).toFixed(1)}% of its speed without the lookup`);
    }
  }
  if (phases.has('scaling')) await runScalingPhase({ config, topics, extraPids: { 'udf-service': udf.pid! } });
  if (phases.has('live')) await liveLatency(`http://127.0.0.1:${udfPort}/lookup`);
  if (phases.has('latency')) {
    console.log(`latency: the DEBS sample at 60x into 1-minute windows; checkpoints every ${config.job.checkpointInterval} (exactly-once results become readable when one completes)`);
    await windowLatency('exactly-once', config, true);
    await windowLatency('at-least-once', config, false);
  }
} finally {
  udf.kill('SIGTERM');
  await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
}
