// `npm run bench:pipeline` (stack up): sustained trips/s through the Flink job (join, lookup of
// both points, window) for N synthetic trips already in Kafka (default 1M = 2M events), and, in
// the same run, the same job with the lookup replaced by a constant neighborhood: the cost of
// enrichment. Prints each service's CPU (cores busy on average) during each run. Then the time
// from a window's close to its result: the DEBS sample replayed 60x faster than it happened into
// an unbounded job with 1-minute windows, read back read-committed, exactly-once and then
// at-least-once. BENCH_PHASES=throughput or BENCH_PHASES=latency runs one part only.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import axios from 'axios';
import { loadConfig, type ResolvedConfig } from '../common/config.js';
import { createProgress } from '../common/progress.js';
import { Consumer, FetchIsolationLevels, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import { defaultInputs, KafkaTransport, replay, type Transport } from '../generator/index.js';
import { collectJobMetrics, deployJob, ensureTopics, FlinkRestClient } from '../orchestrator/index.js';
import { sqlDir } from '../orchestrator/sql-template.js';
import { LocalStackProvider } from '../stack/index.js';
import { deleteTopics, uniqueName } from '../test/support/kafka.js';

const trips = Number(process.env.BENCH_TRIPS ?? 1_000_000);
const phases = new Set((process.env.BENCH_PHASES ?? 'throughput,latency').split(','));
const base = loadConfig();
const ticksPerSecond = 100;

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePort(port));
    });
  });
}

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

async function run(label: string, config: ResolvedConfig, topics: { rideTopic: string; fareTopic: string }, pids: Record<string, number>, sql?: string) {
  const outputs = { deadLetterTopic: uniqueName('bench-dl'), statsTopic: uniqueName('bench-stats') };
  await ensureTopics(config, Object.values(outputs));
  const runConfig = { ...config, job: { ...config.job, consumerGroup: uniqueName('bench-pipeline') } };
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const started = performance.now();
  const deployment = await deployJob(runConfig, { bounded: true, topics: { ...topics, ...outputs }, jobName: `bench ${label}`, ...(sql ? { sqlDir: sql } : {}) }, createProgress(false));
  const flink = new FlinkRestClient(config.flink.restUrl);
  await flink.waitForState(deployment.jobId, ['FINISHED'], 3_600_000);
  const seconds = (performance.now() - started) / 1000;
  const cpu = Object.entries(pids).map(([name, pid]) => `${name} ${((cpuSeconds(pid) - before[name]!) / seconds).toFixed(2)}`).join(', ');
  const metrics = await collectJobMetrics(flink, deployment.jobId);
  console.log(`${label}: ${trips.toLocaleString('en-US')} trips in ${seconds.toFixed(1)} s (submit to finish) = ${Math.round(trips / seconds).toLocaleString('en-US')} trips/s; rides read ${metrics.ridesRead?.toLocaleString('en-US') ?? 'unknown'}`);
  console.log(`  CPU, cores busy on average: ${cpu}`);
  await deleteTopics(config.kafka.bootstrapServers, Object.values(outputs)).catch(() => undefined);
  return trips / seconds;
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

const windowTime = (text: string) => Date.parse(/[zZ]$|[+-]\d\d:\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
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
    while (measured.some(([end]) => !arrivals.has(end)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const latencies = measured.flatMap(([end, wall]) => (arrivals.has(end) ? [(arrivals.get(end)! - wall) / 1000] : [])).sort((a, b) => a - b);
    const missing = measured.length - latencies.length;
    if (latencies.length === 0) {
      console.log(`window close → result, ${label}: no window result arrived (${measured.length} windows expected)`);
      return;
    }
    console.log(
      `window close → result, ${label}: median ${percentile(latencies, 0.5).toFixed(2)} s, p90 ${percentile(latencies, 0.9).toFixed(2)} s, min ${latencies[0]!.toFixed(2)} s, max ${latencies[latencies.length - 1]!.toFixed(2)} s over ${latencies.length} windows${missing ? `; ${missing} windows had no result within 60 s` : ''}`,
    );
  } finally {
    await transport.close().catch(() => undefined);
    await flink.cancel(deployment.jobId).catch(() => undefined);
    await stream.close().catch(() => undefined);
    await reading.catch(() => undefined);
    await consumer.close().catch(() => undefined);
    await deleteTopics(config.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
  }
}

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}${phases.has('throughput') ? `; ${trips.toLocaleString('en-US')} synthetic trips` : ''}`);
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
  if (phases.has('throughput')) {
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

    const withLookup = await run('with lookup', config, topics, pids);
    const constant = await run('constant neighborhood', config, topics, pids, await constantLookupSql());
    console.log(`enrichment cost: the job runs at ${(withLookup / constant * 100).toFixed(1)}% of its speed without the lookup`);
  }
  if (phases.has('latency')) {
    console.log(`latency: the DEBS sample at 60x into 1-minute windows; checkpoints every ${config.job.checkpointInterval} (exactly-once results become readable when one completes)`);
    await windowLatency('exactly-once', config, true);
    await windowLatency('at-least-once', config, false);
  }
} finally {
  udf.kill('SIGTERM');
  await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
}
