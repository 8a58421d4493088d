// What live mode's terminal ranks: the neighborhoods over the latest N windows the relay wrote,
// totalled and filtered by `npm start`'s own function, so that one ride in one minute never tops
// the table and the terminal agrees with the dashboard's rolling span.
import type { WindowResult } from '../clients/index.js';
import { rankNeighborhoods, type NeighborhoodTotal } from './results-order.js';

export interface RollingRanking {
  /** Windows the span holds now (fewer than `span` until that many have closed). */
  windows: number;
  span: number;
  minRides: number;
  newestWindowEnd: string;
  ranked: NeighborhoodTotal[];
}

/** The rows of the latest `span` windows, one row per neighborhood and window (a row written again replaces the first). */
export class RollingWindows {
  private readonly byWindow = new Map<string, Map<string, WindowResult>>();

  constructor(readonly span: number) {
    if (!Number.isInteger(span) || span < 1) throw new TypeError(`a rolling span is a whole number of windows from 1, got ${span}`);
  }

  add(rows: readonly WindowResult[]): void {
    for (const row of rows) {
      const end = new Date(row.windowEnd).toISOString();
      const window = this.byWindow.get(end) ?? new Map<string, WindowResult>();
      window.set(row.neighborhood, row);
      this.byWindow.set(end, window);
    }
    const ends = [...this.byWindow.keys()].sort();
    for (const end of ends.slice(0, Math.max(0, ends.length - this.span))) this.byWindow.delete(end);
  }

  /** The span's ranking with at least `minRides` rides per neighborhood; undefined before the first window. */
  rank(minRides: number): RollingRanking | undefined {
    const ends = [...this.byWindow.keys()].sort();
    const newest = ends.at(-1);
    if (newest === undefined) return undefined;
    const rows = [...this.byWindow.values()].flatMap((window) => [...window.values()]);
    return { windows: ends.length, span: this.span, minRides, newestWindowEnd: newest, ranked: rankNeighborhoods(rows, minRides) };
  }
}

/** The header of the terminal's table: what it ranks, and by which minimum. */
export function rankingHeader(ranking: RollingRanking, shown: number): string {
  const windows = ranking.windows < ranking.span ? `last ${ranking.windows} of ${ranking.span} windows (so far)` : `last ${ranking.span} windows`;
  return `${windows} up to ${ranking.newestWindowEnd}, neighborhoods with ≥ ${ranking.minRides} rides: top ${shown} by tip per mile`;
}
