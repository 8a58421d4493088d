// bench:pipeline's pieces that decide what a figure means: the ladder's cuts of sql/ (run on the
// real templates, so a change to sql/ that moves an anchor fails here), the steady-state rate,
// the per-window comparison and the calibration template's filling.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../common/config.js';
import { jobValues, sqlDir } from '../../../orchestrator/index.js';
import { renderJob } from '../../../orchestrator/sql-template.js';
import { compareWindowTotals, ladderSql, ladderSteps, type LadderCut } from '../../../bench/pipeline/ladder.js';
import { steadyRate } from '../../../bench/pipeline/job-sampler.js';
import { calibrationStatements } from '../../../bench/pipeline/calibration.js';
import type { StatsRow } from '../../../bench/pipeline/runs.js';

const templates = new Map(readdirSync(sqlDir).filter((n) => n.endsWith('.sql')).map((n) => [n, readFileSync(join(sqlDir, n), 'utf8')]));

async function rendered(cuts: LadderCut[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tipstream-ladder-test-'));
  for (const [name, text] of ladderSql(templates, new Set(cuts))) writeFileSync(join(dir, name), text);
  const values = jobValues(loadConfig({ env: { HOME: '/home/someone' }, cwd: '/' }), { bounded: true }, '/jar/functions.jar');
  return (await renderJob(values, dir)).map((s) => s.sql).join(';\n');
}

describe('the ladder', () => {
  it('renders every step from the real sql/, each without exactly what it leaves out', async () => {
    const full = await rendered([]);
    expect(full).toContain('WINDOW_CLOSED(');
    expect(full).toContain('FOR SYSTEM_TIME AS OF');
    expect(full).toContain('FULL JOIN');
    expect(full.match(/INSERT INTO/g)).toHaveLength(8);

    const noWindowClosed = await rendered(['window-closed']);
    expect(noWindowClosed).not.toContain('WINDOW_CLOSED(pickupTime');
    expect(noWindowClosed).toContain('FALSE AS lateForWindow');
    expect(noWindowClosed).toContain('FOR SYSTEM_TIME AS OF');

    const noLookup = await rendered(['lookup', 'window-closed']);
    expect(noLookup).not.toContain('FOR SYSTEM_TIME AS OF');
    expect(noLookup).toContain("'Midtown' AS pickupNeighborhood");
    expect(noLookup).toContain('FULL JOIN');
    expect(noLookup.match(/INSERT INTO/g)).toHaveLength(8);

    const core = await rendered(['dead-letters', 'lookup', 'window-closed']);
    expect(core).not.toContain('FULL JOIN');
    expect(core).toContain('JOIN fare_to_join AS f');
    expect(core.match(/INSERT INTO \w+/g)).toEqual(['INSERT INTO neighborhood_stats']);
    expect(core).toContain('PARSE_RIDE(');
  });

  it('refuses to cut a template whose anchor moved, instead of measuring something else', () => {
    const moved = new Map(templates);
    moved.set('04-enrich-and-join.sql', templates.get('04-enrich-and-join.sql')!.replace('FULL JOIN fare_to_join AS f', 'FULL OUTER JOIN fare_to_join AS f'));
    expect(() => ladderSql(moved, new Set(['dead-letters']))).toThrow(/FULL JOIN fare_to_join AS f/);
  });

  it('goes from the core to tipstream, one feature a step, the last with exactly-once sinks', () => {
    expect(ladderSteps[0]!.calibration).toBe(true);
    expect(ladderSteps.at(-1)).toMatchObject({ exactlyOnce: true });
    expect(ladderSteps.at(-1)!.cuts).toBeUndefined();
    const cutCounts = ladderSteps.slice(1).map((s) => s.cuts?.length ?? 0);
    expect(cutCounts).toEqual([3, 2, 1, 0, 0]);
  });
});

describe('the steady-state rate', () => {
  it('counts from the first count past 20% of the input to the last, two records per trip', () => {
    const counts = [
      { at: 0, records: 100 },
      { at: 10_000, records: 300_000 },
      { at: 20_000, records: 500_000 },
      { at: 30_000, records: 900_000 },
    ];
    // 20% of 1M trips is 400k records: from 20 s (500k) to 30 s (900k) = 200k trips in 10 s.
    expect(steadyRate(counts, 1_000_000)).toEqual({ tripsPerSecond: 20_000, span: { seconds: 10, trips: 200_000 } });
  });

  it('has none with fewer than two counts past 20%', () => {
    expect(steadyRate([{ at: 0, records: 10 }, { at: 10_000, records: 1_000 }], 1_000)).toBeUndefined();
    expect(steadyRate([], 1_000)).toBeUndefined();
  });
});

describe('the per-window comparison', () => {
  const row = (windowEnd: string, neighborhood: string, rideCount: number, fare: number): StatsRow => ({ windowEnd, neighborhood, rideCount, totalFareAmount: fare, totalTipAmount: fare / 10, totalDistanceMiles: rideCount * 2 });
  const reference = [row('2013-01-01T01:00:00Z', 'Harlem', 2, 20), row('2013-01-01T01:00:00Z', 'SoHo', 3, 30), row('2013-01-01T02:00:00Z', 'SoHo', 1, 10)];

  it('finds equal totals equal, whatever the neighborhoods', () => {
    expect(compareWindowTotals([row('2013-01-01 01:00:00', 'Midtown', 5, 50), row('2013-01-01T02:00:00Z', 'Midtown', 1, 10)], reference)).toBeUndefined();
  });

  it('says how many windows differ or are extra', () => {
    expect(compareWindowTotals([row('2013-01-01T01:00:00Z', 'Midtown', 4, 50), row('2013-01-01T03:00:00Z', 'Midtown', 1, 10)], reference)).toBe('2 of 2 windows differ in trips or sums, 1 windows only in this step');
  });
});

describe('the calibration template', () => {
  const text = "CREATE TEMPORARY TABLE r (x STRING) WITH ('topic'='${RUN}-rides','properties.bootstrap.servers'='127.0.0.1:9092','properties.group.id'='calib');\nINSERT INTO o SELECT * FROM r\n";

  it('points at the bench input and this Kafka, one statement each', () => {
    const statements = calibrationStatements(text, { run: 'bench-7', rideTopic: 'bench-7-rides', fareTopic: 'bench-7-fares', trips: 10 }, 'kafka:9093', 'group-1');
    expect(statements).toEqual(["CREATE TEMPORARY TABLE r (x STRING) WITH ('topic'='bench-7-rides','properties.bootstrap.servers'='kafka:9093','properties.group.id'='group-1')", 'INSERT INTO o SELECT * FROM r']);
  });

  it('refuses a template that no longer names its topics by run', () => {
    expect(() => calibrationStatements(text.replaceAll('${RUN}', 'x'), { run: 'b', rideTopic: 'b-rides', fareTopic: 'b-fares', trips: 1 }, 'k:1', 'g')).toThrow(/\$\{RUN\}/);
  });
});
