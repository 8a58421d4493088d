// The relay's counters: the totals it returns to its caller, and the same as Prometheus metrics.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface RelayCounters {
  /** Rows every sink acknowledged. */
  written: number;
  /** Writes tried again after a retriable failure. */
  retries: number;
  /** Records that are not a window result (logged with partition and offset, then skipped). */
  rejected: number;
  /** Offset commits made. */
  commits: number;
}

export class RelayMetrics {
  private readonly totals: RelayCounters = { written: 0, retries: 0, rejected: 0, commits: 0 };
  private readonly registers: Registry[];
  private readonly written: Counter;
  private readonly retries: Counter;
  private readonly rejects: Counter;
  private readonly lastCommit: Gauge;
  // Registered at its first sample: until Kafka has answered, the lag is unknown, not 0.
  private readonly lag = new Gauge({ name: 'tipstream_relay_lag_records', help: 'Readable results on the topic not yet written by the relay (summed over its partitions)', registers: [] });

  constructor(private readonly registry?: Registry) {
    this.registers = registry ? [registry] : [];
    const registers = this.registers;
    this.written = new Counter({ name: 'tipstream_relay_rows_written_total', help: 'Window results written to every sink of the relay', registers });
    this.retries = new Counter({ name: 'tipstream_relay_retries_total', help: 'Writes retried after Overloaded, timeouts or no host', registers });
    this.rejects = new Counter({ name: 'tipstream_relay_rejected_total', help: 'Records on the results topic that are not window results', registers });
    this.lastCommit = new Gauge({ name: 'tipstream_relay_last_commit_timestamp_seconds', help: 'When the relay last committed offsets', registers });
  }

  /** The totals so far, as a copy. */
  get counters(): RelayCounters {
    return { ...this.totals };
  }

  wrote(rows: number): void {
    this.totals.written += rows;
    this.written.inc(rows);
  }

  retried(): void {
    this.totals.retries += 1;
    this.retries.inc();
  }

  rejected(): void {
    this.totals.rejected += 1;
    this.rejects.inc();
  }

  committed(): void {
    this.totals.commits += 1;
    this.lastCommit.setToCurrentTime();
  }

  setLag(records: number): void {
    if (this.registry && !this.registry.getSingleMetric('tipstream_relay_lag_records')) this.registry.registerMetric(this.lag);
    this.lag.set(records);
  }
}
