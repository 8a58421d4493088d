// Live mode's terminal ranks the latest windows as `npm start` ranks a run: no one-ride neighborhood on top.
import type { WindowResult } from '../../../clients/index.js';
import { rankingHeader, RollingWindows } from '../../../cli/live-ranking.js';
import { rankNeighborhoods } from '../../../cli/results-order.js';

const minute = (n: number) => new Date(Date.UTC(2026, 11, 6, 5, n)).toISOString();

function row(neighborhood: string, end: number, rides: number, tip: number, miles: number): WindowResult {
  return {
    windowStart: minute(end - 1),
    windowEnd: minute(end),
    neighborhood,
    rideCount: rides,
    totalFareAmount: 12 * rides,
    totalTipAmount: tip,
    averageFareAmount: 12,
    averageTipAmount: tip / rides,
    totalDistanceMiles: miles,
    averageTipPerMile: miles > 0 ? tip / miles : null,
  };
}

describe('RollingWindows', () => {
  it('ranks over the latest windows only, with the minimum of rides, the way npm start ranks', () => {
    const recent = new RollingWindows(3);
    // Window 1 falls out of a span of 3 once window 4 arrives: its generous Harlem must not count.
    recent.add([row('Harlem', 1, 20, 200, 10)]);
    const kept = [
      row('Harlem', 2, 4, 4, 4),
      row('Chelsea', 2, 6, 12, 6),
      row('Carroll Gardens', 3, 1, 9, 1), // the best tip per mile, with one ride: never ranked
      row('Chelsea', 3, 5, 5, 5),
      row('Harlem', 4, 4, 2, 4),
      row('SoHo', 4, 12, 12, 24),
      row('Unknown', 4, 30, 90, 30),
    ];
    recent.add(kept);

    const ranking = recent.rank(10)!;
    expect(ranking).toMatchObject({ windows: 3, span: 3, minRides: 10, newestWindowEnd: minute(4) });
    expect(ranking.ranked.map((t) => t.neighborhood)).toEqual(['Chelsea', 'SoHo']);
    expect(ranking.ranked[0]).toMatchObject({ rides: 11, tip: 17, miles: 11 });
    expect(ranking.ranked).toEqual(rankNeighborhoods(kept, 10));
  });

  it('counts a window written again once, with its newer rows', () => {
    const recent = new RollingWindows(15);
    recent.add([row('Chelsea', 1, 8, 8, 8)]);
    recent.add([row('Chelsea', 1, 10, 30, 10)]);
    expect(recent.rank(10)!.ranked).toEqual([expect.objectContaining({ neighborhood: 'Chelsea', rides: 10, tipPerMile: 3 })]);
  });

  it('keeps a late window older than the span out', () => {
    const recent = new RollingWindows(2);
    recent.add([row('Chelsea', 5, 10, 10, 10), row('SoHo', 6, 10, 20, 10)]);
    recent.add([row('Harlem', 3, 50, 500, 10)]);
    expect(recent.rank(1)!.ranked.map((t) => t.neighborhood)).toEqual(['SoHo', 'Chelsea']);
  });

  it('has no ranking before the first window', () => {
    expect(new RollingWindows(15).rank(10)).toBeUndefined();
  });

  it('refuses a span that is not a whole number of windows', () => {
    expect(() => new RollingWindows(0)).toThrow(TypeError);
    expect(() => new RollingWindows(1.5)).toThrow(TypeError);
  });
});

describe('rankingHeader', () => {
  it('says the span and the minimum of rides', () => {
    const ranking = { windows: 15, span: 15, minRides: 10, newestWindowEnd: minute(4), ranked: [] };
    expect(rankingHeader(ranking, 15)).toBe(`last 15 windows up to ${minute(4)}, neighborhoods with ≥ 10 rides: top 15 by tip per mile`);
  });

  it('says how much of the span has closed so far', () => {
    const ranking = { windows: 4, span: 15, minRides: 10, newestWindowEnd: minute(4), ranked: [] };
    expect(rankingHeader(ranking, 3)).toMatch(/^last 4 of 15 windows \(so far\) up to .*, neighborhoods with ≥ 10 rides: top 3/);
  });
});
