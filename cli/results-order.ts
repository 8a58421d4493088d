// The order `tipstream results` prints rows in. Cassandra returns them by partition (the hash of
// the neighborhood), which means nothing to a reader, so the command sorts them itself.
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
