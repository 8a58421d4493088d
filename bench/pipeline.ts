// `npm run bench:pipeline` (stack up): sustained trips/s through the Flink job (join, lookup of
// both points, window) for N synthetic trips already in Kafka (default 1M = 2M events), and, in
// the same run, the same job with the lookup replaced by a constant neighborhood: the cost of
// enrichment. Prints each service's CPU (cores busy on average) during each run.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import axios from 'axios';
import { loadConfig, type ResolvedConfig } from '../common/config.js';
import { createProgress } from '../common/progress.js';
import { defaultInputs, KafkaTransport, replay } from '../generator/index.js';
import { collectJobMetrics, deployJob, ensureTopics, FlinkRestClient } from '../orchestrator/index.js';
import { sqlDir } from '../orchestrator/sql-template.js';
import { LocalStackProvider } from '../stack/index.js';
import { deleteTopics, uniqueName } from '../test/support/kafka.js';

const trips = Number(process.env.BENCH_TRIPS ?? 1_000_000);
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
  console.log(`${label}: ${trips.toLocaleString('en-US')} trips in ${seconds.toFixed(1)} s (submit to finish) = ${Math.round(trips / seconds).toLocaleString('en-US')} trips/s; rides read ${metrics.ridesRead.toLocaleString('en-US')}`);
  console.log(`  CPU, cores busy on average: ${cpu}`);
  await deleteTopics(config.kafka.bootstrapServers, Object.values(outputs)).catch(() => undefined);
  return trips / seconds;
}

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${trips.toLocaleString('en-US')} synthetic trips`);
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
} finally {
  udf.kill('SIGTERM');
  await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
}
