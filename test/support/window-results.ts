// Window results made up for relay tests: `count` of them over 25 neighborhoods, one per
// (neighborhood, minute), every ninth or so without distance (no tip per mile).
import type { WindowResult } from '../../clients/index.js';

export function windowResults(count: number): WindowResult[] {
  return Array.from({ length: count }, (_, i) => {
    const start = Date.UTC(2013, 0, 1) + Math.floor(i / 25) * 60_000;
    const rides = 1 + (i % 7);
    return {
      windowStart: new Date(start).toISOString(),
      windowEnd: new Date(start + 60_000).toISOString(),
      neighborhood: `Neighborhood ${i % 25}`,
      rideCount: rides,
      totalFareAmount: rides * 10.5,
      totalTipAmount: rides * 1.25,
      averageFareAmount: 10.5,
      averageTipAmount: 1.25,
      totalDistanceMiles: i % 11 === 0 ? 0 : rides * 2,
      averageTipPerMile: i % 11 === 0 ? null : 0.625,
    };
  });
}
