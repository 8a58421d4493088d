// What a person watching live mode sees, about once a second: the clock, the flow, the job's
// health and the windows the relay wrote.
import type { WindowResult } from '../../clients/index.js';
import type { JobMetrics } from '../../orchestrator/index.js';
import { RollingWindows, type RollingRanking } from '../live-ranking.js';

export interface LiveView {
  /** The live clock (ms since the epoch): where event time is now. */
  clock: number;
  jobId: string;
  /** Times the job was lost (a JobManager restarted without it, a failure for good) and resumed from its latest checkpoint. */
  recoveries: number;
  resumedFrom?: string;
  eventsSent: number;
  eventsPerSecond: number;
  metrics?: JobMetrics;
  /** Event-time lag of the windows behind the live clock, in seconds of event time. */
  watermarkLagSeconds: number | null;
  /** The latest window written to Cassandra, its rows by tip per mile. */
  latestWindow?: { windowEnd: string; rows: WindowResult[] };
  /** The neighborhoods over the latest windows written, ranked as `npm start` ranks them. */
  ranking?: RollingRanking;
  rowsWritten: number;
}

/** What the relay wrote: the latest window it wrote is what the view shows. */
export class WrittenWindows {
  latestWindow: LiveView['latestWindow'];
  rowsWritten = 0;
  /** When rows came last (wall time). */
  lastRowsAt: number;
  private readonly recent: RollingWindows;

  constructor(
    span: number,
    private readonly onRows?: (rows: WindowResult[]) => void,
    private readonly wallNow: () => number = Date.now,
  ) {
    this.recent = new RollingWindows(span);
    this.lastRowsAt = wallNow();
  }

  readonly add = (rows: WindowResult[]): void => {
    this.onRows?.(rows);
    this.rowsWritten += rows.length;
    this.lastRowsAt = this.wallNow();
    this.recent.add(rows);
    for (const row of rows) {
      if (!this.latestWindow || Date.parse(row.windowEnd) > Date.parse(this.latestWindow.windowEnd)) this.latestWindow = { windowEnd: row.windowEnd, rows: [] };
      if (row.windowEnd === this.latestWindow.windowEnd) this.latestWindow.rows.push(row);
    }
  };

  rank(minRides: number): RollingRanking | undefined {
    return this.recent.rank(minRides);
  }
}

/** What the view reads. */
export interface ViewSources {
  clock: () => number;
  job: { readonly jobId: string; readonly recoveries: number; readonly metrics: JobMetrics | undefined };
  written: WrittenWindows;
  resumedFrom: string | undefined;
  minRides: number;
}

/** The view, refreshed once a second while the run runs, and shown once more at the end. */
export class LiveViewer {
  /** What the generator has sent so far. */
  eventsSent = 0;
  private rate: { at: number; sent: number; perSecond: number };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sources: ViewSources,
    private readonly onView?: (view: LiveView) => void,
    private readonly wallNow: () => number = Date.now,
  ) {
    this.rate = { at: wallNow(), sent: 0, perSecond: 0 };
  }

  view(): LiveView {
    const { clock, job, written, resumedFrom, minRides } = this.sources;
    const metrics = job.metrics;
    return {
      clock: clock(),
      jobId: job.jobId,
      recoveries: job.recoveries,
      ...(resumedFrom ? { resumedFrom } : {}),
      eventsSent: this.eventsSent,
      eventsPerSecond: this.rate.perSecond,
      ...(metrics ? { metrics } : {}),
      watermarkLagSeconds: metrics?.windowWatermark ? Math.round((clock() - Date.parse(metrics.windowWatermark)) / 1000) : null,
      ...(written.latestWindow ? { latestWindow: written.latestWindow, ranking: written.rank(minRides) } : {}),
      rowsWritten: written.rowsWritten,
    };
  }

  /** One refresh: `beforeView` first (given the wall time), then the rate, then the view. */
  tick(beforeView: (now: number) => void): void {
    const now = this.wallNow();
    beforeView(now);
    this.rate = { at: now, sent: this.eventsSent, perSecond: ((this.eventsSent - this.rate.sent) * 1000) / Math.max(1, now - this.rate.at) };
    this.show();
  }

  /** Refreshes every second until `stop()`. */
  start(beforeView: (now: number) => void): void {
    this.timer = setInterval(() => this.tick(beforeView), 1_000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  show(): void {
    this.onView?.(this.view());
  }
}
