// bench:pipeline's ladder (BENCH_PHASES=ladder): what each of tipstream's features costs, measured
// in one run on the same topics. From the job's core up, each step adds one feature:
//   1. the calibration job (../shared/calibration): json/csv formats, two-value neighborhood, blackhole;
//   2. + the UDF parse: raw sources, PARSE_RIDE/PARSE_FARE, plausible-time watermarks, an inner
//      join, a constant neighborhood, the results to Kafka (at-least-once);
//   3. + the full outer join and its seven dead-letter branches;
//   4. + the neighborhood lookup through the udf-service;
//   5. + WINDOW_CLOSED, the late-for-window branch;
//   6. + exactly-once sinks: that is tipstream.
// Steps 2 to 5 are sql/ with features taken out by exact text replacements (ladderSql): a change to
// sql/ that moves their anchors fails test/unit/bench/ladder.test.ts, not a benchmark an hour in.
// Every step's results are checked against tipstream's own: per window and neighborhood where the
// lookup runs, per window (counts and sums) where the neighborhood is a constant.
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedConfig } from '../../common/config.js';
import { sqlDir } from '../../orchestrator/sql-template.js';
import { calibrationMissing, runCalibration } from './calibration.js';
import type { BenchInput } from './input.js';
import { waitForQuiet } from './machine-quiet.js';
import { compareResults, perSecond, runTipstream, windowTime, type SideResult, type StatsRow } from './runs.js';

/** What each step leaves out of sql/, from the most taken out to nothing. */
export type LadderCut = 'dead-letters' | 'lookup' | 'window-closed';

/** Replaces `from` by `to`, which must occur exactly once. */
function replaceOnce(text: string, from: string, to: string, file: string): string {
  const at = text.indexOf(from);
  if (at === -1 || text.indexOf(from, at + 1) !== -1) throw new Error(`the ladder cannot cut sql/${file}: "${from.split('\n')[0]}" is not there exactly once`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

const CONSTANT_TRIPS = `CREATE TEMPORARY VIEW trips AS
SELECT pickupTime, 'Midtown' AS pickupNeighborhood, 'Midtown' AS dropoffNeighborhood,
  tripDistanceInMiles, fareAmount, tipAmount
FROM joined_trips
WHERE NOT lateForWindow;
`;

/** sql/'s files (name → text) with the given features taken out. */
export function ladderSql(files: Map<string, string>, cuts: ReadonlySet<LadderCut>): Map<string, string> {
  const out = new Map(files);
  const edit = (file: string, change: (text: string) => string) => {
    const text = out.get(file);
    if (text === undefined) throw new Error(`the ladder cannot cut sql/${file}: no such file`);
    out.set(file, change(text));
  };
  if (cuts.has('window-closed')) {
    edit('04-enrich-and-join.sql', (t) => replaceOnce(t, 'WINDOW_CLOSED(pickupTime, CURRENT_WATERMARK(pickupTime), ${WINDOW_SIZE}) AS lateForWindow', 'FALSE AS lateForWindow', '04-enrich-and-join.sql'));
  }
  if (cuts.has('lookup')) {
    edit('04-enrich-and-join.sql', (t) => {
      const start = t.indexOf('CREATE TEMPORARY VIEW trips AS');
      if (start === -1 || !t.slice(start).includes('LEFT JOIN neighborhoods FOR SYSTEM_TIME AS OF')) throw new Error('the ladder cannot cut sql/04-enrich-and-join.sql: its trips view with the lookup is not where it was');
      return `${t.slice(0, start)}${CONSTANT_TRIPS}`;
    });
  }
  if (cuts.has('dead-letters')) {
    edit('04-enrich-and-join.sql', (t) => replaceOnce(t, 'FULL JOIN fare_to_join AS f', 'JOIN fare_to_join AS f', '04-enrich-and-join.sql'));
    edit('05-statement-set.sql', (t) => {
      const begin = t.indexOf('BEGIN\n');
      const stats = t.indexOf('INSERT INTO neighborhood_stats');
      if (begin === -1 || stats === -1) throw new Error('the ladder cannot cut sql/05-statement-set.sql: its statement set has no BEGIN or no INSERT INTO neighborhood_stats');
      return `${t.slice(0, begin + 'BEGIN\n'.length)}\n${t.slice(stats)}`;
    });
  }
  return out;
}

/** A temporary copy of sql/ with the given features taken out (the enrichment phase uses the lookup's cut too). */
export async function ladderSqlDir(cuts: ReadonlySet<LadderCut>): Promise<string> {
  const files = new Map<string, string>();
  for (const name of (await readdir(sqlDir)).filter((n) => n.endsWith('.sql'))) files.set(name, await readFile(join(sqlDir, name), 'utf8'));
  const dir = await mkdtemp(join(tmpdir(), 'tipstream-bench-ladder-'));
  for (const [name, text] of ladderSql(files, cuts)) await writeFile(join(dir, name), text);
  return dir;
}

interface Step {
  name: string;
  cuts?: LadderCut[];
  exactlyOnce?: boolean;
  calibration?: true;
}

export const ladderSteps: Step[] = [
  { name: 'core (calibration: json/csv formats, 2 neighborhoods, blackhole)', calibration: true },
  { name: '+ UDF parse (raw, PARSE_*, plausible-time watermarks)', cuts: ['dead-letters', 'lookup', 'window-closed'], exactlyOnce: false },
  { name: '+ full outer join and 7 dead-letter branches', cuts: ['lookup', 'window-closed'], exactlyOnce: false },
  { name: '+ neighborhood lookup (udf-service over HTTP)', cuts: ['window-closed'], exactlyOnce: false },
  { name: '+ WINDOW_CLOSED (late-for-window branch)', exactlyOnce: false },
  { name: '+ exactly-once sinks = tipstream', exactlyOnce: true },
];

/** Per window: the trips and the sums, whatever their neighborhoods; undefined when equal. */
export function compareWindowTotals(ours: StatsRow[], reference: StatsRow[]): string | undefined {
  const totals = (rows: StatsRow[]) => {
    const byWindow = new Map<number, { rides: number; fare: number; tip: number; miles: number }>();
    for (const r of rows) {
      const t = byWindow.get(windowTime(r.windowEnd)) ?? { rides: 0, fare: 0, tip: 0, miles: 0 };
      byWindow.set(windowTime(r.windowEnd), { rides: t.rides + r.rideCount, fare: t.fare + r.totalFareAmount, tip: t.tip + r.totalTipAmount, miles: t.miles + r.totalDistanceMiles });
    }
    return byWindow;
  };
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
  const mine = totals(ours);
  const theirs = totals(reference);
  let differ = 0;
  for (const [end, t] of theirs) {
    const m = mine.get(end);
    if (!m || m.rides !== t.rides || !close(m.fare, t.fare) || !close(m.tip, t.tip) || !close(m.miles, t.miles)) differ += 1;
  }
  const extra = [...mine.keys()].filter((end) => !theirs.has(end)).length;
  return differ === 0 && extra === 0 ? undefined : `${differ} of ${theirs.size} windows differ in trips or sums, ${extra} windows only in this step`;
}

/** `warmUp`: first an unmeasured run, when nothing has run on this TaskManager yet (its JIT and class loading). */
export async function runLadderPhase(config: ResolvedConfig, input: BenchInput, pids: Record<string, number>, warmUp: boolean): Promise<void> {
  const missing = calibrationMissing();
  const steps = missing ? ladderSteps.filter((s) => !s.calibration) : ladderSteps;
  console.log(`ladder: ${input.trips.toLocaleString('en-US')} trips, each step one feature more, in one run${missing ? `; ${missing}` : ''}`);
  if (warmUp && process.env.BENCH_WARMUP !== '0') await runTipstream('ladder warm-up (not counted)', config, input, pids);
  // tipstream first: the reference every other step's results are checked against.
  const results = new Map<Step, SideResult & { noisy: boolean }>();
  for (const step of [steps.at(-1)!, ...steps.slice(0, -1)]) {
    const quiet = await waitForQuiet(90_000);
    console.log(`  step ${steps.indexOf(step) + 1}: ${step.name}; ${quiet.summary}`);
    const result = step.calibration
      ? await runCalibration('ladder core', config, input)
      : await runTipstream(`ladder step ${steps.indexOf(step) + 1}`, config, input, pids, { sources: step.cuts ? { sqlDir: await ladderSqlDir(new Set(step.cuts)) } : {}, exactlyOnce: step.exactlyOnce ?? true });
    results.set(step, { ...result, noisy: quiet.noisy });
    const reference = results.get(steps.at(-1)!)!.rows;
    if (!step.calibration && step !== steps.at(-1)) {
      const difference = step.cuts?.includes('lookup') ? compareWindowTotals(result.rows, reference) : compareResults(result.rows, reference);
      if (difference) throw new Error(`ladder step "${step.name}": the results differ from tipstream's: ${difference}`);
    }
  }
  console.log(`ladder, ${input.trips.toLocaleString('en-US')} trips (results checked against tipstream's; NOISY: the machine was not quiet before that step):`);
  console.log(`  ${'step'.padEnd(68)}${'trips/s'.padStart(10)}${'steady'.padStart(10)}${'cost'.padStart(8)}${'of core'.padStart(9)}`);
  let previous: SideResult | undefined;
  const core = results.get(steps[0]!);
  for (const step of steps) {
    const r = results.get(step)!;
    const cost = previous ? `${((1 - r.tripsPerSecond / previous.tripsPerSecond) * 100).toFixed(0)}%` : '';
    const ofCore = core ? `${((r.tripsPerSecond / core.tripsPerSecond) * 100).toFixed(0)}%` : '';
    console.log(`  ${`${steps.indexOf(step) + 1}. ${step.name}`.padEnd(68)}${`${perSecond(r.tripsPerSecond)}`.padStart(10)}${perSecond(r.steadyTripsPerSecond).padStart(10)}${cost.padStart(8)}${ofCore.padStart(9)}${r.noisy ? ' NOISY' : ''}`);
    previous = r;
  }
  console.log('  cost: the share of the step before\'s whole-run trips/s this step gives up; of core: this step\'s trips/s as a share of the calibration job\'s');
}
