// The order `tipstream results` prints rows in, whatever order Cassandra returned them in.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { WindowResult } from '../../../clients/index.js';
import { formatResults } from '../../../cli/relay.js';
import { resultsSortKeys, sortResults } from '../../../cli/results-order.js';

function row(neighborhood: string, windowEnd: string, rideCount: number, averageTipPerMile: number | null): WindowResult {
  return {
    windowStart: new Date(Date.parse(windowEnd) - 60_000).toISOString(),
    windowEnd,
    neighborhood,
    rideCount,
    totalFareAmount: 10 * rideCount,
    totalTipAmount: rideCount,
    averageFareAmount: 10,
    averageTipAmount: 1,
    totalDistanceMiles: averageTipPerMile === null ? 0 : rideCount / averageTipPerMile,
    averageTipPerMile,
  };
}

const early = '2013-01-01T00:01:00.000Z';
const late = '2013-01-01T00:02:00.000Z';

// Shuffled by hand, as partitions come back: no key below is already in order here.
const rows = [
  row('SoHo', early, 5, 0.9),
  row('Midtown', late, 40, null),
  row('Chelsea', early, 12, 1.5),
  row('SoHo', late, 7, 0.9),
  row('Harlem', late, 3, 2.25),
  row('Chelsea', late, 12, 0.9),
  row('Midtown', early, 30, 0.4),
];

const keyOf = (r: WindowResult) => `${r.neighborhood} ${r.windowEnd.slice(14, 16)}`;

describe('sortResults', () => {
  it('puts the newest window first, best tip per mile first within it, no tip per mile last, ties by neighborhood', () => {
    expect(sortResults(rows).map(keyOf)).toEqual(['Harlem 02', 'Chelsea 02', 'SoHo 02', 'Midtown 02', 'Chelsea 01', 'SoHo 01', 'Midtown 01']);
  });

  it('by tip-per-mile: best first across windows, rows without one last, then newest window, then neighborhood', () => {
    expect(sortResults(rows, 'tip-per-mile').map(keyOf)).toEqual(['Harlem 02', 'Chelsea 01', 'Chelsea 02', 'SoHo 02', 'SoHo 01', 'Midtown 01', 'Midtown 02']);
  });

  it('by rides: most first, then newest window, then neighborhood', () => {
    expect(sortResults(rows, 'rides').map(keyOf)).toEqual(['Midtown 02', 'Midtown 01', 'Chelsea 02', 'Chelsea 01', 'SoHo 02', 'SoHo 01', 'Harlem 02']);
  });

  it('by neighborhood: alphabetical, newest window first within one', () => {
    expect(sortResults(rows, 'neighborhood').map(keyOf)).toEqual(['Chelsea 02', 'Chelsea 01', 'Harlem 02', 'Midtown 02', 'Midtown 01', 'SoHo 02', 'SoHo 01']);
  });

  it('gives the same order whatever order the rows arrive in, for every key', () => {
    for (const key of resultsSortKeys) {
      const once = sortResults(rows, key);
      expect(sortResults([...rows].reverse(), key)).toEqual(once);
      expect(sortResults(once, key)).toEqual(once);
    }
  });

  it('compares window ends as times, not as text', () => {
    // As text the first sorts as the later one; as times it is half an hour earlier.
    const offsets = [row('A', '2013-01-01T01:00:00+02:00', 1, 1), row('B', '2012-12-31T23:30:00Z', 1, 1)];
    expect(sortResults(offsets).map((r) => r.neighborhood)).toEqual(['B', 'A']);
  });

  it('leaves the rows it was given as they were', () => {
    const given = [...rows];
    sortResults(given, 'rides');
    expect(given).toEqual(rows);
  });
});

describe('formatResults', () => {
  it('prints the rows in the order given and says how many more matched', () => {
    const shown = sortResults(rows).slice(0, 2);
    const lines = formatResults(shown, rows.length).trimEnd().split('\n');
    expect(lines.slice(1, 3).map((l) => l.split(/\s{2,}/)[0])).toEqual(['Harlem', 'Chelsea']);
    expect(lines.at(-1)).toBe('(5 more rows; --limit to show them)');
  });

  it('prints no footer when every row is shown', () => {
    expect(formatResults(rows)).not.toContain('more rows');
  });
});

describe('tipstream results flags', () => {
  // Both are refused before any connection, so no Cassandra is needed (port 1 would fail otherwise).
  const results = (...args: string[]) =>
    spawnSync(process.execPath, [resolve('bin/tipstream.js'), 'results', '--cassandra-port', '1', ...args], { encoding: 'utf8', timeout: 30_000 });

  it('refuses an unknown --sort key with one line naming the flag and the keys', () => {
    const { status, stderr } = results('--sort', 'tips');
    expect(status).not.toBe(0);
    expect(stderr.split('\n')[0]).toBe("tipstream: error: option '--sort <key>' argument 'tips' is invalid. Allowed choices are window, tip-per-mile, rides, neighborhood.");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a --limit that is not a positive integer, with or without --json', () => {
    for (const args of [['--limit', '0'], ['--json', '--limit', 'all']]) {
      const { status, stderr } = results(...args);
      expect(status).toBe(2);
      expect(stderr.trim().split('\n')).toEqual([`tipstream: --limit must be a positive integer, got '${args.at(-1)}'`]);
    }
  });
});
