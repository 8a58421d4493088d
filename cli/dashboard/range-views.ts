// What the page shows for a span of windows, computed from the stored rows: the per-neighborhood
// totals and ranking `npm start` prints (the same functions), the city-wide figure, and one
// neighborhood's tip per mile window by window beside the city's.
import type { WindowResult } from '../../clients/index.js';
import { neighborhoodTotals, rankNeighborhoods, type NeighborhoodTotal } from '../results-order.js';

export interface CityTotal {
  rides: number;
  tipPerMile: number | null;
}

export interface RangeSummary {
  /** Windows in the span that have rows. */
  windows: number;
  minRides: number;
  /** Every neighborhood with rides in the span, ranked or not. */
  totals: NeighborhoodTotal[];
  /** The names `npm start` would print for these windows, best tip per mile first. */
  ranked: string[];
  city: CityTotal;
}

export interface SeriesPoint {
  windowStart: string;
  windowEnd: string;
  /** Null where the neighborhood had no ride in the window. */
  rides: number | null;
  tipPerMile: number | null;
  cityRides: number;
  cityTipPerMile: number | null;
}

function cityTotal(rows: readonly WindowResult[]): CityTotal {
  let rides = 0;
  let tip = 0;
  let miles = 0;
  for (const r of rows) {
    rides += r.rideCount;
    tip += r.totalTipAmount;
    miles += r.totalDistanceMiles;
  }
  return { rides, tipPerMile: miles > 0 ? tip / miles : null };
}

export function rangeSummary(rows: readonly WindowResult[], minRides: number): RangeSummary {
  return {
    windows: new Set(rows.map((r) => r.windowEnd)).size,
    minRides,
    totals: neighborhoodTotals(rows),
    ranked: rankNeighborhoods(rows, minRides).map((t) => t.neighborhood),
    city: cityTotal(rows),
  };
}

/** One point per window of the span (oldest first), the neighborhood's figures as stored. */
export function neighborhoodSeries(rows: readonly WindowResult[], neighborhood: string): SeriesPoint[] {
  const byWindow = new Map<string, WindowResult[]>();
  for (const r of rows) byWindow.set(r.windowEnd, [...(byWindow.get(r.windowEnd) ?? []), r]);
  return [...byWindow]
    .sort(([a], [b]) => Date.parse(a) - Date.parse(b))
    .map(([windowEnd, windowRows]) => {
      const own = windowRows.find((r) => r.neighborhood === neighborhood);
      const city = cityTotal(windowRows);
      return {
        windowStart: windowRows[0]!.windowStart,
        windowEnd,
        rides: own?.rideCount ?? null,
        tipPerMile: own?.averageTipPerMile ?? null,
        cityRides: city.rides,
        cityTipPerMile: city.tipPerMile,
      };
    });
}
