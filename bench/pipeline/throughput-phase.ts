// bench:pipeline's throughput phase: BENCH_ROUNDS rounds of the Flink job, the Spark peer and the
// calibration job (the ceiling anchor) over the same topics, the order reversed every other round
// (ABBA), each side started only once the machine is quiet or marked NOISY; results compared row
// for row. Reports each side's whole-run and steady-state trips/s, their medians and spread, the
// ratio to the peer and the fraction of the calibration. With BENCH_BEFORE the job of another
// commit beside them, and with the enrichment phase the job without its lookup.
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { projectRoot, type ResolvedConfig } from '../../common/config.js';
import { findJava17 } from '../../stack/java.js';
import { machineState, waitForQuiet } from './machine-quiet.js';
import { calibrationMissing, runCalibration } from './calibration.js';
import { ladderSqlDir } from './ladder.js';
import type { BenchInput } from './input.js';
import { compareResults, loadNow, median, perSecond, runPeer, runTipstream, TaskManagerProfile, type JobSources, type SideResult } from './runs.js';

/** BENCH_BEFORE: that commit's sql/ and flink-udf/, unpacked into a temporary folder. */
async function sourcesAt(ref: string): Promise<JobSources> {
  const dir = await mkdtemp(join(tmpdir(), 'tipstream-bench-before-'));
  const archive = execFileSync('git', ['archive', '--format=tar', ref, 'sql', 'flink-udf'], { cwd: projectRoot, maxBuffer: 64 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  return { sqlDir: join(dir, 'sql'), functionsSourceDir: join(dir, 'flink-udf') };
}


export interface ThroughputPhaseOptions {
  config: ResolvedConfig;
  /** The topics the input was written to, and its size. */
  input: BenchInput;
  /** The processes whose CPU each run reports, by service. */
  pids: Record<string, number>;
  rounds: number;
  /** Also run the job with a constant neighborhood (the lookup's cost). */
  enrichment: boolean;
  /** Run the unmeasured warm-up first (the first size of a run). */
  warmUp: boolean;
}

type SideName = 'tipstream' | 'before' | 'peer' | 'calibration';
type Measured = SideResult & { noisy: boolean };

/** The medians of one size, for bench:pipeline's closing table. */
export interface ThroughputSummary {
  trips: number;
  rounds: number;
  noisyRuns: number;
  tipstream: { whole: number; steady: number | undefined };
  /** What the ratio compares with: the peer, or BENCH_BEFORE's job when BENCH_PEER=0. */
  referenceName: 'peer' | 'before';
  reference: { whole: number; steady: number | undefined };
  calibration: { whole: number; steady: number | undefined } | undefined;
  ratio: { whole: number; steady: number | undefined };
  ofCalibration: number | undefined;
}

const defined = (values: Array<number | undefined>) => values.filter((v): v is number => v !== undefined && Number.isFinite(v));
const medianOf = (values: Array<number | undefined>) => (defined(values).length === values.length && values.length > 0 ? median(defined(values)) : undefined);
const spread = (values: Array<number | undefined>, format: (n: number) => string) => {
  const known = defined(values);
  return known.length === 0 ? 'n/a' : `median ${format(median(known))}, ${format(Math.min(...known))} to ${format(Math.max(...known))}`;
};
const ratio = (n: number) => `${n.toFixed(2)}x`;
const percent = (n: number) => `${(n * 100).toFixed(0)}%`;

export async function runThroughputPhase({ config, input, pids, rounds, enrichment, warmUp }: ThroughputPhaseOptions): Promise<ThroughputSummary> {
  const profileDir = process.env.BENCH_PROFILE === '1' ? await mkdtemp(join(tmpdir(), 'tipstream-bench-jfr-')) : undefined;
  const javaBin = profileDir ? dirname(await findJava17()) : '';
  const beforeRef = process.env.BENCH_BEFORE;
  const before = beforeRef ? await sourcesAt(beforeRef) : undefined;
  const current: JobSources = process.env.BENCH_SQL_DIR ? { sqlDir: process.env.BENCH_SQL_DIR } : {};
  const noCalibration = calibrationMissing();
  const trips = input.trips.toLocaleString('en-US');
  console.log(`throughput, ${trips} trips: ${rounds} rounds${noCalibration ? `; ${noCalibration}` : ''}`);
  // The first job on a fresh TaskManager pays for its JIT and class loading: measured as round 1,
  // it made the current job look 28% slower than BENCH_BEFORE's (0.718, against 0.86-1.03 after).
  // BENCH_WARMUP=0 leaves this unmeasured run out.
  if (warmUp && process.env.BENCH_WARMUP !== '0') {
    const warm = await runTipstream('warm-up (not counted)', config, input, pids, { sources: current });
    console.log(`  warm-up done (${perSecond(warm.tripsPerSecond)} trips/s, not counted); ${loadNow()}`);
  }
  const withPeer = !(before && process.env.BENCH_PEER === '0');
  const sideNames: SideName[] = [...(noCalibration ? [] : ['calibration' as const]), 'tipstream', ...(before ? ['before' as const] : []), ...(withPeer ? ['peer' as const] : [])];
  const results: Array<Partial<Record<SideName, Measured>>> = [];
  for (let round = 1; round <= rounds; round++) {
    // ABBA: the order reversed every other round, so no side always meets a warmer (or busier) machine.
    const order = round % 2 === 1 ? sideNames : [...sideNames].reverse();
    console.log(`round ${round} of ${rounds}, ${trips} trips: ${order.join(' then ')}`);
    const sides: Partial<Record<SideName, Measured>> = {};
    for (const side of order) {
      // A figure from a loaded box is not a figure: wait for the run before to settle, or say so.
      const quiet = await waitForQuiet(90_000);
      console.log(`  before ${side}: ${quiet.summary}`);
      const profile = profileDir && side === 'tipstream' ? new TaskManagerProfile(javaBin, pids['flink-taskmanager']!, profileDir, `round-${round}`) : undefined;
      let result: SideResult;
      if (side === 'tipstream') result = await runTipstream(`round ${round}`, config, input, pids, { sources: current, showLoads: round === 1, ...(profile ? { profile } : {}) });
      else if (side === 'before') result = await runTipstream(`round ${round}, before (${beforeRef})`, config, input, pids, { sources: before });
      else if (side === 'calibration') result = await runCalibration(`round ${round}`, config, input);
      else result = await runPeer(config, input);
      // After a run the load average is mostly the run's own: only other busy processes count.
      const after = await machineState();
      console.log(`    after ${side}: ${after.summary.replace(/; NOISY \(.*\)$/, '')}${after.busy.length > 0 ? '; NOISY (other processes busy)' : ''}`);
      sides[side] = { ...result, noisy: quiet.noisy || after.busy.length > 0 };
    }
    const ours = sides.tipstream!;
    // Without the peer, the job of BENCH_BEFORE is what the results are compared with.
    const reference = sides.peer ?? sides.before!;
    const difference = compareResults(ours.rows, reference.rows);
    if (difference) throw new Error(`round ${round}: the results differ: ${difference}`);
    if (sides.before && sides.peer) {
      const beforeDifference = compareResults(sides.before.rows, sides.peer.rows);
      if (beforeDifference) throw new Error(`round ${round}: the results of ${beforeRef} differ from the peer's: ${beforeDifference}`);
    }
    results.push(sides);
    const noisy = Object.values(sides).some((s) => s.noisy);
    console.log(
      `  round ${round}: results equal (${ours.rows.length.toLocaleString('en-US')} rows); ratio ${ratio(ours.tripsPerSecond / reference.tripsPerSecond)} whole run` +
        `${ours.steadyTripsPerSecond && reference.steadyTripsPerSecond ? `, ${ratio(ours.steadyTripsPerSecond / reference.steadyTripsPerSecond)} steady` : ''}` +
        `${sides.calibration ? `; tipstream at ${percent(ours.tripsPerSecond / sides.calibration.tripsPerSecond)} of the calibration` : ''}` +
        `${sides.before ? `; current / before ${(ours.tripsPerSecond / sides.before.tripsPerSecond).toFixed(3)}` : ''}${noisy ? '; NOISY' : ''}`,
    );
  }

  const column = (side: SideName, pick: (r: Measured) => number | undefined) => results.map((r) => (r[side] ? pick(r[side]) : undefined));
  const noisyRuns = results.reduce((n, r) => n + Object.values(r).filter((s) => s.noisy).length, 0);
  console.log(`throughput, ${trips} trips, ${rounds} rounds${noisyRuns > 0 ? ` (${noisyRuns} runs NOISY: read these figures as indications only)` : ', every run quiet'}:`);
  for (const side of sideNames) {
    console.log(`  ${side.padEnd(12)} whole run ${spread(column(side, (r) => r.tripsPerSecond), perSecond)} trips/s; steady ${spread(column(side, (r) => r.steadyTripsPerSecond), perSecond)} trips/s`);
  }
  const reference: SideName = withPeer ? 'peer' : 'before';
  const wholeRatios = results.map((r) => r.tipstream!.tripsPerSecond / r[reference]!.tripsPerSecond);
  const steadyRatios = results.map((r) => (r.tipstream!.steadyTripsPerSecond && r[reference]!.steadyTripsPerSecond ? r.tipstream!.steadyTripsPerSecond / r[reference]!.steadyTripsPerSecond : undefined));
  console.log(`  tipstream / ${reference}: whole run ${wholeRatios.map(ratio).join(', ')} (${spread(wholeRatios, ratio)}); steady ${steadyRatios.map((r) => (r === undefined ? 'n/a' : ratio(r))).join(', ')} (${spread(steadyRatios, ratio)})`);
  const fractions = results.map((r) => (r.calibration ? r.tipstream!.tripsPerSecond / r.calibration.tripsPerSecond : undefined));
  if (!noCalibration) console.log(`  tipstream / calibration (the job's core alone, a ceiling): ${fractions.map((f) => percent(f!)).join(', ')} (${spread(fractions, percent)})`);
  if (before) {
    const ratios = results.map((r) => r.tipstream!.tripsPerSecond / r.before!.tripsPerSecond);
    console.log(`  current / before (${beforeRef}): per round ${ratios.map((r) => r.toFixed(3)).join(', ')}, median ${median(ratios).toFixed(3)}; before's median ${perSecond(median(ratios.map((_, i) => results[i]!.before!.tripsPerSecond)))} trips/s`);
  }
  if (enrichment) {
    const withLookup = median(results.map((r) => r.tipstream!.tripsPerSecond));
    const constant = await runTipstream('constant neighborhood', config, input, pids, { sources: { sqlDir: await ladderSqlDir(new Set(['lookup'])) } });
    console.log(`enrichment cost: the job runs at ${(withLookup / constant.tripsPerSecond * 100).toFixed(1)}% of its speed without the lookup`);
  }
  return {
    trips: input.trips,
    rounds,
    noisyRuns,
    tipstream: { whole: median(column('tipstream', (r) => r.tripsPerSecond) as number[]), steady: medianOf(column('tipstream', (r) => r.steadyTripsPerSecond)) },
    referenceName: reference === 'peer' ? 'peer' : 'before',
    reference: { whole: medianOf(column(reference, (r) => r.tripsPerSecond))!, steady: medianOf(column(reference, (r) => r.steadyTripsPerSecond)) },
    calibration: noCalibration ? undefined : { whole: medianOf(column('calibration', (r) => r.tripsPerSecond))!, steady: medianOf(column('calibration', (r) => r.steadyTripsPerSecond)) },
    ratio: { whole: median(wholeRatios), steady: medianOf(steadyRatios) },
    ofCalibration: noCalibration ? undefined : medianOf(fractions),
  };
}
