import type { WindowResult } from '../../../../clients/index.js';
import { neighborhoodSeries, rangeSummary } from '../../../../cli/dashboard/range-views.js';
import { rankNeighborhoods } from '../../../../cli/results-order.js';

function row(windowEnd: string, neighborhood: string, rides: number, tip: number, miles: number): WindowResult {
  return {
    windowStart: new Date(Date.parse(windowEnd) - 60_000).toISOString(),
    windowEnd,
    neighborhood,
    rideCount: rides,
    totalFareAmount: rides * 10,
    totalTipAmount: tip,
    averageFareAmount: 10,
    averageTipAmount: tip / rides,
    totalDistanceMiles: miles,
    averageTipPerMile: miles > 0 ? tip / miles : null,
  };
}

const W1 = '2013-01-01T00:01:00.000Z';
const W2 = '2013-01-01T00:02:00.000Z';
const rows = [
  row(W1, 'Midtown', 6, 6, 10),
  row(W2, 'Midtown', 6, 3, 10),
  row(W1, 'SoHo', 12, 24, 20),
  row(W2, 'Chelsea', 3, 9, 3),
  row(W2, 'Unknown', 40, 100, 50),
];

describe('rangeSummary', () => {
  it('ranks as npm start does: totals over the windows, the minimum rides over the span, Unknown left out', () => {
    const summary = rangeSummary(rows, 10);
    expect(summary.ranked).toEqual(rankNeighborhoods(rows, 10).map((t) => t.neighborhood));
    // Midtown has 6 rides in each window: too few in one, enough over both.
    expect(summary.ranked).toEqual(['SoHo', 'Midtown']);
    expect(summary.totals.find((t) => t.neighborhood === 'Midtown')).toMatchObject({ rides: 12, tipPerMile: 9 / 20 });
    expect(summary.totals.map((t) => t.neighborhood).sort()).toEqual(['Chelsea', 'Midtown', 'SoHo', 'Unknown']);
    expect(summary.windows).toBe(2);
  });

  it('gives the city-wide tip per mile from the totals of every row', () => {
    expect(rangeSummary(rows, 10).city).toEqual({ rides: 67, tipPerMile: 142 / 93 });
    expect(rangeSummary([], 10)).toMatchObject({ windows: 0, ranked: [], city: { rides: 0, tipPerMile: null } });
  });
});

describe('neighborhoodSeries', () => {
  it('has one point per window, oldest first, the stored figures beside the city-wide ones', () => {
    expect(neighborhoodSeries([...rows].reverse(), 'Chelsea')).toEqual([
      { windowStart: '2013-01-01T00:00:00.000Z', windowEnd: W1, rides: null, tipPerMile: null, cityRides: 18, cityTipPerMile: 30 / 30 },
      { windowStart: '2013-01-01T00:01:00.000Z', windowEnd: W2, rides: 3, tipPerMile: 3, cityRides: 49, cityTipPerMile: 112 / 63 },
    ]);
  });
});
