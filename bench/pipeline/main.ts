// `npm run bench:pipeline`: the entry point. Reads the environment, starts the udf-service, writes
// the input and runs the phases asked for, one file each beside this one.
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import axios from 'axios';
import { loadConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { LocalStackProvider } from '../../stack/index.js';
import { freePort } from '../../test/support/free-port.js';
import { deleteTopics, uniqueName } from '../../test/support/kafka.js';
import { writeSyntheticTrips } from './input.js';
import { runLatencyPhase } from './latency-phase.js';
import { runLivePhase } from './live-phase.js';
import { runScalingPhase } from './scaling-phase.js';
import { runThroughputPhase } from './throughput-phase.js';

const usage = `npm run bench:pipeline (stack up): trips/s through the Flink job (parse, join, lookup of both
points, window) for N synthetic trips already in Kafka (BENCH_TRIPS, default 1M = 2M events), against the
Spark peer (../shared/peer-spark, or BENCH_PEER_SPARK) on the same topics in the same run: BENCH_ROUNDS rounds
(default 3), the order alternating, each side's trips/s, the ratio and the medians; both
results must be equal. tipstream's time is Flink's job duration, the peer's its main run.
BENCH_SQL_DIR runs the job from other templates (an older sql/, to measure before and after).
BENCH_BEFORE=<git ref> also runs, in every round beside the current job, the job of that
commit (its sql/ and flink-udf/) on the same topics: the ratio current / before, per round and
its median, is what a change cost (issue #20's guard was measured so); BENCH_PEER=0 leaves the
peer out of those rounds (the two jobs' results are then compared with each other).
BENCH_WARMUP=0 skips the unmeasured warm-up run of the current job before round 1.
BENCH_PROFILE=1 records the TaskManager with JFR during each tipstream run and prints where its
CPU samples are, by package. BENCH_PHASES=enrichment also runs the job with a constant
neighborhood (the lookup's cost). Then live mode (BENCH_LIVE_SECONDS, default 120) and the time
from a window's close to its result: the DEBS sample replayed 60x faster than it happened into
an unbounded job with 1-minute windows, read back read-committed, exactly-once and then
at-least-once. BENCH_PHASES (default throughput,live,latency) names the phases to run:
throughput, enrichment, live, latency, scaling; scaling (with throughput or alone) runs the
same trips at parallelism 1, 2 and 4 on one and two TaskManagers beside the peer at local[1],
local[2] and local[4].`;

if (process.argv.includes('--help')) {
  console.log(usage);
  process.exit(0);
}

const trips = Number(process.env.BENCH_TRIPS ?? 1_000_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const phases = new Set((process.env.BENCH_PHASES ?? 'throughput,live,latency').split(','));
const base = loadConfig();

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
  if (phases.has('throughput') || phases.has('scaling')) await writeSyntheticTrips(config, topics, trips);
  if (phases.has('throughput')) await runThroughputPhase({ config, topics, pids, rounds, enrichment: phases.has('enrichment') });
  if (phases.has('scaling')) await runScalingPhase({ config, topics, extraPids: { 'udf-service': udf.pid! } });
  if (phases.has('live')) await runLivePhase(`http://127.0.0.1:${udfPort}/lookup`);
  if (phases.has('latency')) await runLatencyPhase(config);
} finally {
  udf.kill('SIGTERM');
  await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
}
