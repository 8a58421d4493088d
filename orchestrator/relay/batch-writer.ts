// One batch of the relay: records checked as window results (the rest counted, logged and
// skipped), written to every sink, each write retried under the relay's policy while its sink
// calls the failure retriable, then each partition's last offset committed: only once every sink
// acknowledged every row. A batch written again after a restart overwrites itself in every sink.
import type { Message } from '@platformatic/kafka';
import { batchRows, parseWindowResult, type OpenedResultSink, type ResultBatch, type ResultBatchPart, type Retrying, type WindowResult } from '../../clients/index.js';
import { InfrastructureError } from '../../common/errors.js';
import { childLogger } from '../../common/logger.js';
import { retry, systemClock, type Clock, type RetryPolicy } from '../../common/retry.js';
import type { RelayCounters, RelayMetrics } from './metrics.js';

const log = childLogger('relay');

/** What the relay needs of a record taken from the results topic. */
export type RelayMessage = Pick<Message<string, string, string, string>, 'partition' | 'offset' | 'value' | 'commit'>;

export interface BatchWriterOptions {
  topic: string;
  sinks: OpenedResultSink[];
  /** Back-off of a failing write; its budget is relay.retryBudgetSeconds. */
  policy: RetryPolicy;
  metrics: RelayMetrics;
  signal?: AbortSignal | undefined;
  clock?: Clock;
  /** Called after each committed batch with the rows it wrote. */
  onRows?: ((rows: WindowResult[]) => void) | undefined;
  /** Called after each committed batch with the running totals. */
  onBatch?: ((counters: RelayCounters) => void) | undefined;
}

export class BatchWriter {
  private readonly clock: Clock;

  constructor(private readonly options: BatchWriterOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async write(messages: RelayMessage[]): Promise<void> {
    const batch = this.validate(messages);
    // Every sink is waited for, even after one failed: none is left writing while the relay stops and closes them.
    const written = await Promise.allSettled(this.options.sinks.map((sink) => this.writeTo(sink, batch)));
    const failed = written.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const rows = batchRows(batch);
    this.options.metrics.wrote(rows.length);
    await commitLastOffsets(messages);
    this.options.metrics.committed();
    this.options.onRows?.(rows);
    this.options.onBatch?.(this.options.metrics.counters);
  }

  /** The batch's window results by partition; what is not one is counted, logged and left out. */
  private validate(messages: RelayMessage[]): ResultBatch {
    const parts = new Map<number, ResultBatchPart>();
    for (const message of messages) {
      let part = parts.get(message.partition);
      if (part === undefined) parts.set(message.partition, (part = { partition: message.partition, firstOffset: message.offset, lastOffset: message.offset, rows: [] }));
      if (message.offset < part.firstOffset) part.firstOffset = message.offset;
      if (message.offset > part.lastOffset) part.lastOffset = message.offset;
      const row = parseWindowResult(message.value);
      if (row !== undefined) part.rows.push(row);
      else {
        this.options.metrics.rejected();
        log.error({ topic: this.options.topic, partition: message.partition, offset: String(message.offset), value: String(message.value).slice(0, 200) }, 'not a window result; skipped');
      }
    }
    return { topic: this.options.topic, parts: [...parts.values()] };
  }

  private async writeTo(sink: OpenedResultSink, batch: ResultBatch): Promise<void> {
    const { policy, metrics, signal } = this.options;
    const retrying: Retrying = async (write) => {
      const started = this.clock.now();
      return retry(write, policy, {
        clock: this.clock,
        retriable: (err) => sink.retriable(err),
        waitFor: (err) => sink.retryAfterMs?.(err),
        ...(signal ? { signal } : {}),
        onRetry: (err, waitMs) => {
          metrics.retried();
          sink.recover?.(err);
          log.warn({ sink: sink.name, waitMs, error: sink.describe(err) }, 'write failed; retrying');
        },
      }).catch((err: unknown) => {
        throw this.stopped(sink, err, started);
      });
    };
    const started = this.clock.now();
    await sink.write(batch, retrying).catch((err: unknown) => {
      throw this.stopped(sink, err, started);
    });
  }

  /** A write that failed for good, named as what it is: the session loop would otherwise take it for Kafka going away. */
  private stopped(sink: OpenedResultSink, err: unknown, started: number): unknown {
    if (err instanceof InfrastructureError || err instanceof TypeError) return err;
    const seconds = Math.round((this.clock.now() - started) / 1000);
    const budget = this.options.policy.budgetMs / 1000;
    return new InfrastructureError('TIPSTREAM_UNREACHABLE', `relay stopped: writing to ${sink.target} failed for ${seconds} s (relay.retryBudgetSeconds ${budget}): ${sink.describe(err)}; offsets of unwritten results stay uncommitted, so a restart writes them`, { cause: err, retriable: true });
  }
}

/** Every sink acknowledged every write of the batch: commit the last offset of each partition. */
async function commitLastOffsets(messages: RelayMessage[]): Promise<void> {
  const last = new Map<number, RelayMessage>();
  for (const message of messages) {
    const seen = last.get(message.partition);
    if (seen === undefined || message.offset > seen.offset) last.set(message.partition, message);
  }
  for (const message of last.values()) await message.commit();
}
