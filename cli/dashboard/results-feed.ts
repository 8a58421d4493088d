// The window results the dashboard shows, read from Cassandra: every window end stored (for the
// time slider) and, every poll interval, the newest windows again, so that rows the relay has
// just written are pushed to the browsers.
//
// Why Cassandra and not the results topic: the page then shows exactly what is stored, which is
// what `tipstream results` prints and what the time slider goes back to, so the live view and
// the history never disagree (a row read from the topic may not be in the table yet, or never,
// when the relay is down). It also needs no Kafka consumer group per dashboard and works where
// the dashboard can reach only the database. The cost is the relay's own lag plus up to one poll
// interval, and one read per interval (request units on Cosmos DB: `dashboard.pollInterval`).
import { EventEmitter } from 'node:events';
import type { ResolvedConfig } from '../../common/config.js';
import { describeError } from '../../common/errors.js';
import { type ResultReader, type WindowResult } from '../../clients/index.js';
import { openResultReader } from '../../orchestrator/index.js';

export interface WindowSummary {
  windowStart: string;
  windowEnd: string;
  neighborhoods: number;
  rides: number;
}

export interface CassandraStatus {
  /** `pending`: not read yet. */
  status: 'up' | 'down' | 'pending';
  target: string;
  checkedAt: string;
  error?: string;
}

/** Windows read again on every poll: rows of a window may land over several relay batches, and windows close out of order across partitions. */
const RECENT_WINDOWS = 3;

export interface ResultsFeedEvents {
  window: [windowEnd: string, rows: WindowResult[]];
  status: [status: CassandraStatus];
}

export class ResultsFeed extends EventEmitter<ResultsFeedEvents> {
  private table: ResultReader | undefined;
  private readonly windows = new Map<string, WindowSummary>();
  /** What was last pushed for each recent window, to push only what changed. */
  private readonly signatures = new Map<string, string>();
  private loadedAll = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private lastStatus: CassandraStatus;

  constructor(private readonly config: ResolvedConfig, private readonly pollIntervalMs: number) {
    super();
    this.lastStatus = { status: 'down', target: `${config.cassandra.contactPoints.join(',')}:${config.cassandra.port}`, checkedAt: new Date(0).toISOString() };
  }

  get status(): CassandraStatus {
    return this.lastStatus;
  }

  private knownWindows(): WindowSummary[] {
    return [...this.windows.values()].sort((a, b) => a.windowEnd.localeCompare(b.windowEnd));
  }

  /** One window's rows, read from the table as `tipstream results` reads them. */
  async windowRows(windowEnd: Date): Promise<WindowResult[]> {
    const table = await this.open();
    const rows = await table.read({ since: new Date(windowEnd.getTime() - 1) });
    return rows.filter((r) => r.windowEnd === windowEnd.toISOString());
  }

  /** The rows of every window whose end is in [from, to], as stored. */
  async rowsBetween(from: Date, to: Date): Promise<WindowResult[]> {
    const table = await this.open();
    const rows = await table.read({ since: new Date(from.getTime() - 1) });
    return rows.filter((r) => Date.parse(r.windowEnd) <= to.getTime());
  }

  private firstRead: Promise<void> | undefined;

  /** Reads now and then on every interval, without waiting: the server answers while Cassandra is away. */
  start(): void {
    this.firstRead = this.poll();
    this.timer = setInterval(() => void this.poll(), this.pollIntervalMs);
  }

  /** Every window end read so far, oldest first, once the first read has been tried (the driver's timeouts bound it). */
  async windowList(): Promise<WindowSummary[]> {
    await this.firstRead;
    return this.knownWindows();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
    await this.table?.close().catch(() => undefined);
    this.table = undefined;
  }

  private poll(): Promise<void> {
    // A slow read must not pile up reads behind it.
    this.polling ??= this.readNew().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async readNew(): Promise<void> {
    try {
      const table = await this.open();
      const recent = this.knownWindows().slice(-RECENT_WINDOWS)[0];
      const since = this.loadedAll && recent ? new Date(Date.parse(recent.windowEnd) - 1) : undefined;
      const rows = await table.read(since ? { since } : {});
      const byWindow = new Map<string, WindowResult[]>();
      for (const row of rows) byWindow.set(row.windowEnd, [...(byWindow.get(row.windowEnd) ?? []), row]);
      for (const [windowEnd, windowRows] of [...byWindow].sort(([a], [b]) => a.localeCompare(b))) {
        windowRows.sort((a, b) => a.neighborhood.localeCompare(b.neighborhood));
        this.windows.set(windowEnd, {
          windowStart: windowRows[0]!.windowStart,
          windowEnd,
          neighborhoods: windowRows.length,
          rides: windowRows.reduce((sum, r) => sum + r.rideCount, 0),
        });
        const signature = JSON.stringify(windowRows);
        if (this.signatures.get(windowEnd) !== signature) {
          this.signatures.set(windowEnd, signature);
          if (this.loadedAll) this.emit('window', windowEnd, windowRows);
        }
      }
      const keep = new Set(this.knownWindows().slice(-RECENT_WINDOWS).map((w) => w.windowEnd));
      for (const windowEnd of this.signatures.keys()) if (!keep.has(windowEnd)) this.signatures.delete(windowEnd);
      this.loadedAll = true;
      this.setStatus({ status: 'up', target: table.target, checkedAt: new Date().toISOString() });
    } catch (err) {
      // A fresh connection next poll: the driver's own reconnection was seen to stay down for
      // over a minute after Cassandra came back behind the same address.
      const broken = this.table;
      this.table = undefined;
      void broken?.close().catch(() => undefined);
      this.setStatus({ status: 'down', target: this.lastStatus.target, checkedAt: new Date().toISOString(), error: describeError(err) });
    }
  }

  private async open(): Promise<ResultReader> {
    this.table ??= await openResultReader(this.config);
    return this.table;
  }

  private setStatus(status: CassandraStatus): void {
    const changed = status.status !== this.lastStatus.status || status.error !== this.lastStatus.error;
    this.lastStatus = status;
    if (changed) this.emit('status', status);
  }
}
