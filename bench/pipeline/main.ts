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
import { deleteTopics } from '../../test/support/kafka.js';
import { writeSyntheticTrips } from './input.js';
import { runLatencyPhase } from './latency-phase.js';
import { runLivePhase } from './live-phase.js';
import { runScalingPhase } from './scaling-phase.js';
import { runThroughputPhase, type ThroughputSummary } from './throughput-phase.js';
import { runLadderPhase } from './ladder.js';
import { machineState } from './machine-quiet.js';
import { perSecond } from './runs.js';

const usage = `npm run bench:pipeline (stack up): trips/s through the Flink job (parse, join, lookup of both
points, window, exactly-once sinks) against the Spark peer (../shared/peer-spark, or BENCH_PEER_SPARK)
and the calibration job (../shared/calibration, or BENCH_CALIBRATION: the job's core alone, a
ceiling) on the same synthetic trips in Kafka, in the same run. Results must be equal.

BENCH_TRIPS (default 1000000,4000000): the sizes, each written once; the headline is the largest.
BENCH_ROUNDS (default 3): rounds per size, the order reversed every other round (ABBA); each side
  waits up to 90 s for a quiet machine (load average under 1.5, no other process above 5% of a
  core) and is marked NOISY otherwise. The load and the busy processes are printed around every run.
Each side gets two rates: over the whole run (tipstream: Flink's job duration; the peer: its main
  run) and steady (tipstream: the join's records in, from Flink's REST API, after the first 20% of
  the input; the peer: its micro-batches after the first). Printed with medians and spread, the
  ratios to the peer, tipstream as a fraction of the calibration, the TaskManager's heap and the
  checkpoints' state size, and (round 1) every vertex's busy and backpressured time.
BENCH_PHASES (default throughput,ladder,live,latency) names the phases:
  throughput  the rounds above, at every size;
  ladder      at the largest size, what each feature costs: the calibration core, + the UDF parse,
              + the full outer join and dead letters, + the lookup, + WINDOW_CLOSED, + exactly-once;
  enrichment  the job with a constant neighborhood (the lookup's cost), after the rounds;
  live        live mode (BENCH_LIVE_SECONDS, default 120): the DEBS sample 60x faster than it
              happened into an unbounded job with 1-minute windows;
  latency     the time from a window's close to its result, read committed, exactly-once and
              then at-least-once;
  scaling     the smallest size at parallelism 1, 2 and 4 on one and two TaskManagers beside the
              peer at local[1], local[2] and local[4].
BENCH_SQL_DIR runs the job from other templates. BENCH_BEFORE=<git ref> also runs, in every round,
the job of that commit (its sql/ and flink-udf/) on the same topics: the ratio current / before is
what a change cost; BENCH_PEER=0 leaves the peer out of those rounds. BENCH_WARMUP=0 skips the
unmeasured warm-up run before the first size. BENCH_PROFILE=1 records the TaskManager with JFR's
default settings and keeps the recording (the job ran at 0.63x its unrecorded speed when measured:
its shares describe a slowed program).`;

if (process.argv.includes('--help')) {
  console.log(usage);
  process.exit(0);
}

const sizes = (process.env.BENCH_TRIPS ?? '1000000,4000000').split(',').map((t) => Number(t.trim()));
if (sizes.some((t) => !Number.isInteger(t) || t <= 0)) {
  console.error(`BENCH_TRIPS must be positive whole numbers separated by commas, got '${process.env.BENCH_TRIPS}'`);
  process.exit(2);
}
sizes.sort((a, b) => a - b);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`BENCH_ROUNDS must be a whole number of rounds, 1 or more, got '${process.env.BENCH_ROUNDS}'`);
  process.exit(2);
}
const phases = new Set((process.env.BENCH_PHASES ?? 'throughput,ladder,live,latency').split(','));
const knownPhases = ['throughput', 'ladder', 'enrichment', 'live', 'latency', 'scaling'];
const unknown = [...phases].filter((p) => !knownPhases.includes(p));
if (unknown.length > 0) {
  console.error(`BENCH_PHASES: unknown phase ${unknown.join(', ')}; the phases are ${knownPhases.join(', ')}`);
  process.exit(2);
}
const base = loadConfig();

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}${phases.has('throughput') || phases.has('scaling') || phases.has('ladder') ? `; ${sizes.map((t) => t.toLocaleString('en-US')).join(' and ')} synthetic trips` : ''}; ${(await machineState()).summary}`);
const statuses = await new LocalStackProvider(base, createProgress(false)).status();
const pids: Record<string, number> = {};
for (const s of statuses) if (s.pid) pids[s.service] = s.pid;

// The udf-service as its own process, as in production, so its CPU is its own.
const udfPort = await freePort();
const udf = spawn(process.execPath, [resolve('bin/tipstream.js'), 'udf', 'serve', '--port', String(udfPort)], { stdio: 'ignore', env: { ...process.env, TIPSTREAM_LOG_LEVEL: 'warn' } });
// Ctrl-C skips the finally below: stop the udf-service here too, or it outlives the bench.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    udf.kill('SIGTERM');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
const written: string[] = [];
try {
  const deadline = Date.now() + 60_000;
  while (!(await axios.get(`http://127.0.0.1:${udfPort}/readyz`).then(() => true, () => false))) {
    if (Date.now() > deadline) throw new Error('the udf-service did not get ready');
    await new Promise((r) => setTimeout(r, 300));
  }
  pids['udf-service'] = udf.pid!;
  const config = loadConfig({ overrides: { job: { udfLookupUrl: `http://127.0.0.1:${udfPort}/lookup` } } });
  const summaries: ThroughputSummary[] = [];
  const largest = sizes.at(-1)!;
  for (const trips of sizes) {
    const needed = phases.has('throughput') || (phases.has('ladder') && trips === largest) || (phases.has('scaling') && trips === sizes[0]);
    if (!needed) continue;
    const input = await writeSyntheticTrips(config, trips);
    written.push(input.rideTopic, input.fareTopic);
    if (phases.has('throughput')) summaries.push(await runThroughputPhase({ config, input, pids, rounds, enrichment: phases.has('enrichment') && trips === largest, warmUp: trips === sizes[0] }));
    if (phases.has('scaling') && trips === sizes[0]) await runScalingPhase({ config, topics: input, extraPids: { 'udf-service': udf.pid! } });
    if (phases.has('ladder') && trips === largest) await runLadderPhase(config, input, pids, !phases.has('throughput'));
    // Each size's topics go once measured: 4M trips are gigabytes in Kafka.
    await deleteTopics(base.kafka.bootstrapServers, [input.rideTopic, input.fareTopic]).catch(() => undefined);
  }
  if (summaries.length > 0) printSizes(summaries);
  if (phases.has('live')) await runLivePhase(`http://127.0.0.1:${udfPort}/lookup`);
  if (phases.has('latency')) await runLatencyPhase(config);
} finally {
  udf.kill('SIGTERM');
  await deleteTopics(base.kafka.bootstrapServers, written).catch(() => undefined);
}

/** The closing table: every size's medians; the largest is the headline. */
function printSizes(summaries: ThroughputSummary[]): void {
  const x = (n: number | undefined) => (n === undefined ? 'n/a' : `${n.toFixed(2)}x`);
  console.log(`\nmedians per size (trips/s; whole run / steady state${summaries.some((s) => s.noisyRuns > 0) ? '; NOISY: some runs of that size were not on a quiet machine' : ''}):`);
  // Without the peer (BENCH_PEER=0), the ratio is to BENCH_BEFORE's job, and the table says so.
  const referenceName = summaries.some((s) => s.referenceName === 'before') ? 'before' : 'peer';
  console.log(`  ${'trips'.padEnd(11)}${'tipstream'.padStart(18)}${referenceName.padStart(18)}${'calibration'.padStart(18)}${'ratio'.padStart(14)}${'of calib.'.padStart(11)}`);
  for (const s of summaries) {
    const pair = (p: { whole: number; steady: number | undefined } | undefined) => (p ? `${perSecond(p.whole)} / ${perSecond(p.steady)}` : 'n/a');
    console.log(`  ${s.trips.toLocaleString('en-US').padEnd(11)}${pair(s.tipstream).padStart(18)}${pair(s.reference).padStart(18)}${pair(s.calibration).padStart(18)}${`${x(s.ratio.whole)} / ${x(s.ratio.steady)}`.padStart(14)}${(s.ofCalibration === undefined ? 'n/a' : `${(s.ofCalibration * 100).toFixed(0)}%`).padStart(11)}${s.noisyRuns > 0 ? ` NOISY (${s.noisyRuns} runs)` : ''}`);
  }
  const headline = summaries.at(-1)!;
  console.log(`headline (${headline.trips.toLocaleString('en-US')} trips, steady state): tipstream ${x(headline.ratio.steady)} ${headline.referenceName === 'peer' ? 'the peer' : `the job of ${process.env.BENCH_BEFORE}`}, median of ${headline.rounds} rounds`);
}
