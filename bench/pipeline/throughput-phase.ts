// bench:pipeline's throughput phase: BENCH_ROUNDS rounds of the Flink job and the Spark peer over
// the same topics, the order alternating, results compared row for row; with BENCH_BEFORE the job
// of another commit beside them, and with the enrichment phase the job without its lookup.
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { projectRoot, type ResolvedConfig } from '../../common/config.js';
import { sqlDir } from '../../orchestrator/sql-template.js';
import { findJava17 } from '../../stack/java.js';
import { machineState } from './machine-quiet.js';
import { compareResults, loadNow, median, runPeer, runTipstream, TaskManagerProfile, type JobSources, type SideResult } from './runs.js';

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


export interface ThroughputPhaseOptions {
  config: ResolvedConfig;
  /** The topics the input was written to. */
  topics: { rideTopic: string; fareTopic: string };
  /** The processes whose CPU each run reports, by service. */
  pids: Record<string, number>;
  rounds: number;
  /** Also run the job with a constant neighborhood (the lookup's cost). */
  enrichment: boolean;
}

export async function runThroughputPhase({ config, topics, pids, rounds, enrichment }: ThroughputPhaseOptions): Promise<void> {
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
  if (enrichment) {
    const withLookup = median(results.map((r) => r.tipstream));
    const constant = await runTipstream('constant neighborhood', config, topics, pids, { sources: { sqlDir: await constantLookupSql() } });
    console.log(`enrichment cost: the job runs at ${(withLookup / constant.tripsPerSecond * 100).toFixed(1)}% of its speed without the lookup`);
  }
}
