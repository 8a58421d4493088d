// The health strip's two figures that depend on a clock: events per second and watermark lag.
// Live mode's event time runs `speedup` times faster than the wall, so its lag is measured
// against its own clock; and its events per second come from what its generator sent, as its
// terminal counts them. Flink's per-vertex counts are refreshed by the JobManager only every
// `metrics.fetcher.update-interval` (10 s): read every 2 s, they stand still four polls in five.

/** What a running `start --live` records about itself every second (cli/live/state.ts, its state file). */
export interface LiveRecord {
  jobId: string;
  /** Event time (ms) on the live clock at `wallAt`. */
  clock: number;
  wallAt: number;
  speedup: number;
  eventsSent: number;
}

/** A live run's record this old or older is a run that no longer writes it (stopped or killed). */
export const LIVE_RECORD_FRESH_MS = 10_000;

/** The record's clock carried on to the wall time `now`. */
export function liveClockAt(record: Pick<LiveRecord, 'clock' | 'wallAt' | 'speedup'>, now: number): number {
  return record.clock + (now - record.wallAt) * record.speedup;
}

/** Seconds of event time the window watermark trails `clockNow`; null without a watermark. */
export function watermarkLagSeconds(windowWatermark: string | null, clockNow: number): number | null {
  if (windowWatermark === null) return null;
  return Math.round((clockNow - Date.parse(windowWatermark)) / 1000);
}

/**
 * A rate from a running count sampled now and then. The rate is taken between samples where the
 * count changed, and kept while it stands still (a count refreshed less often than it is read);
 * standing still longer than `idleAfterMs` reads as 0. A new `key` (another job, another run) or
 * a count that went back starts over; a sample taken at the same time as the last is the same
 * reading and changes nothing.
 */
export class CounterRate {
  private changed: { at: number; count: number; key: string } | undefined;
  private lastAt: number | undefined;
  private perSecond: number | null = null;

  constructor(private readonly idleAfterMs: number) {}

  sample(at: number, count: number, key: string): number | null {
    const last = this.changed;
    const sameReading = at === this.lastAt;
    this.lastAt = at;
    if (!last || last.key !== key || count < last.count) {
      this.changed = { at, count, key };
      this.perSecond = null;
      return null;
    }
    if (count === last.count) {
      if (!sameReading && at - last.at >= this.idleAfterMs) this.perSecond = 0;
      return this.perSecond;
    }
    this.perSecond = ((count - last.count) * 1000) / Math.max(1, at - last.at);
    this.changed = { at, count, key };
    return this.perSecond;
  }

  reset(): void {
    this.changed = undefined;
    this.lastAt = undefined;
    this.perSecond = null;
  }
}
