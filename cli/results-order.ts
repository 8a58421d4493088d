// The order `tipstream results` prints rows in (Cassandra returns them by partition, the hash of
// the neighborhood, which means nothing to a reader), and the per-neighborhood totals over many
// windows that `npm start` prints and the dashboard shows, computed here once for both.
import type { WindowResult } from '../clients/index.js';

type Compare = (a: WindowResult, b: WindowResult) => number;

const newestWindowFirst: Compare = (a, b) => Date.parse(b.windowEnd) - Date.parse(a.windowEnd);
/** A window without distance has no tip per mile: it sorts after every one that has. */
const bestTipPerMileFirst: Compare = (a, b) => {
  if (a.averageTipPerMile === null || b.averageTipPerMile === null) return Number(a.averageTipPerMile === null) - Number(b.averageTipPerMile === null);
  return b.averageTipPerMile - a.averageTipPerMile;
};
const mostRidesFirst: Compare = (a, b) => b.rideCount - a.rideCount;
const byNeighborhood: Compare = (a, b) => a.neighborhood.localeCompare(b.neighborhood, 'en');

/**
 * Each `--sort` key: its comparisons, first to last. Every chain ends in the table's key
 * (neighborhood, window end), so two runs over the same rows print them in the same order.
 */
const orders = {
  // The default. The newest window is what a person asks about ("what is it like now?"); the
  // older ones follow, so `--limit 20` shows the latest window's best neighborhoods, not 2013.
  window: [newestWindowFirst, bestTipPerMileFirst, byNeighborhood],
  'tip-per-mile': [bestTipPerMileFirst, newestWindowFirst, byNeighborhood],
  rides: [mostRidesFirst, newestWindowFirst, byNeighborhood],
  neighborhood: [byNeighborhood, newestWindowFirst],
} satisfies Record<string, Compare[]>;

export type ResultsSortKey = keyof typeof orders;

export const resultsSortKeys = Object.keys(orders) as ResultsSortKey[];

export const defaultResultsSortKey: ResultsSortKey = 'window';

/** A copy of the rows in the order of `key`; the rows themselves are left as they were. */
export function sortResults(rows: readonly WindowResult[], key: ResultsSortKey = defaultResultsSortKey): WindowResult[] {
  const chain: Compare[] = orders[key];
  return [...rows].sort((a, b) => {
    for (const compare of chain) {
      const order = compare(a, b);
      if (order !== 0) return order;
    }
    return 0;
  });
}

export interface NeighborhoodTotal {
  neighborhood: string;
  rides: number;
  fare: number;
  tip: number;
  miles: number;
  averageFare: number;
  averageTip: number;
  /** Total tip over total miles; null without miles. */
  tipPerMile: number | null;
}

/** Per neighborhood over all the given windows: rides, and averages from the window totals; best tip per mile first. */
export function neighborhoodTotals(rows: readonly WindowResult[]): NeighborhoodTotal[] {
  const byName = new Map<string, { neighborhood: string; rides: number; fare: number; tip: number; miles: number }>();
  for (const r of rows) {
    const t = byName.get(r.neighborhood) ?? { neighborhood: r.neighborhood, rides: 0, fare: 0, tip: 0, miles: 0 };
    t.rides += r.rideCount;
    t.fare += r.totalFareAmount;
    t.tip += r.totalTipAmount;
    t.miles += r.totalDistanceMiles;
    byName.set(r.neighborhood, t);
  }
  return [...byName.values()]
    .map((t) => ({ ...t, averageFare: t.fare / t.rides, averageTip: t.tip / t.rides, tipPerMile: t.miles > 0 ? t.tip / t.miles : null }))
    .sort((a, b) => (b.tipPerMile ?? -1) - (a.tipPerMile ?? -1));
}

/** The neighborhoods `npm start` ranks: named (not `Unknown`), with at least `minRides` rides over the windows; best tip per mile first. */
export function rankNeighborhoods(rows: readonly WindowResult[], minRides: number): NeighborhoodTotal[] {
  return neighborhoodTotals(rows).filter((t) => t.neighborhood !== 'Unknown' && t.rides >= minRides);
}
