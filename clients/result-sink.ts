// The seam behind the relay: where window results go. A configured sink opens into an open one
// (as testcontainers has it: only what was opened can be written to or closed); the relay writes
// each batch to every open sink and commits the batch's offsets once all of them have it. A new
// sink is one file implementing these two interfaces, plus its row in orchestrator/result-sinks.ts.
import type { WindowResult } from './window-result.js';

/** The window results of one batch, by the partition of the results topic they were read from. */
export interface ResultBatch {
  topic: string;
  parts: ResultBatchPart[];
}

/**
 * The rows read from one partition in one batch. The offsets span every record taken, results or
 * not: a relay that restarts before committing reads the part again from the same first offset.
 */
export interface ResultBatchPart {
  partition: number;
  firstOffset: bigint;
  lastOffset: bigint;
  rows: WindowResult[];
}

/** Every row of a batch, partition after partition. */
export function batchRows(batch: ResultBatch): WindowResult[] {
  return batch.parts.flatMap((part) => part.rows);
}

/**
 * How the relay runs each write a sink makes of a batch: tried again under the relay's retry
 * policy while the sink says the failure is retriable, each retry counted and logged.
 */
export type Retrying = <T>(write: () => Promise<T>) => Promise<T>;

/** What configured and open sinks both say of themselves. */
interface NamedSink {
  /** The name in `relay.sinks`. */
  readonly name: string;
  /** Where it writes, for logs and errors (no secrets): `Cassandra at 10.0.0.1:9042`. */
  readonly target: string;
  /** A failure as one line for a log or an error, with any secret of the sink taken out. */
  describe(err: unknown): string;
}

/** A sink as configured: where it writes, and how to open it. */
export interface ResultSink extends NamedSink {
  /** Connects, creating what the results need (a keyspace and table, a folder). */
  open(): Promise<OpenedResultSink>;
}

/** A sink that is open: it takes batches until it is closed. */
export interface OpenedResultSink extends NamedSink {
  /**
   * Writes every row of the batch, each write through `retrying`. Idempotent: the same batch
   * written again (a relay restarted after writing but before committing) leaves the same result.
   */
  write(batch: ResultBatch, retrying: Retrying): Promise<void>;
  /** Whether a failed write may succeed when tried again (throttling, timeouts, a full disk). */
  retriable(err: unknown): boolean;
  /** A wait the failure asks for itself (Cosmos DB's RetryAfterMs), instead of the relay's back-off. */
  retryAfterMs?(err: unknown): number | undefined;
  /**
   * Called before a retriable failure is tried again, to mend what it broke (a new session after
   * Cassandra forgot a prepared statement); the writes after it wait until it is mended.
   */
  recover?(err: unknown): void;
  close(): Promise<void>;
}

/** Reads window results back (`tipstream results`, `npm start`'s table, the dashboard). */
export interface ResultReader {
  readonly target: string;
  /** Rows in the store's own order; callers sort them. */
  read(filter?: { neighborhood?: string; since?: Date }): Promise<WindowResult[]>;
  close(): Promise<void>;
}
