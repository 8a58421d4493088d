// The relay's Kafka sessions, one after another: Kafka away (a broker restart, a network cut) is
// waited out within the retry budget, counted from the first failure in a row. Each new session
// reads on from the committed offsets, and one that made progress starts the count (and the
// back-off) again.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from '@platformatic/kafka';
import { InfrastructureError } from '../../common/errors.js';
import { childLogger } from '../../common/logger.js';
import { retry } from '../../common/retry.js';
import { KafkaSessionError } from './consumer-session.js';
import type { RelayMetrics } from './metrics.js';

const log = childLogger('relay');

/** The first wait before a new session; the back-off doubles from there. */
export const RECONNECT_MS = 1_000;
const MAX_BACKOFF_MS = 10_000;

export interface KafkaSessionsOptions {
  budgetMs: number;
  signal?: AbortSignal | undefined;
  metrics: RelayMetrics;
  /** Where Kafka is, for the give-up message. */
  kafkaAddress: string;
  /** A failure as one line, secrets taken out. */
  describe: (err: unknown) => string;
  /** A new consumer for each session. */
  newConsumer: () => Consumer<string, string, string, string>;
  /** One session on that consumer; it calls `onProgress` whenever it gets somewhere. */
  session: (consumer: Consumer<string, string, string, string>, onProgress: () => void) => Promise<void>;
}

/** Runs sessions until one ends normally (idle, a signal); a write that failed for good, or Kafka away past the budget, rejects. */
export async function runKafkaSessions(options: KafkaSessionsOptions): Promise<void> {
  const { budgetMs, signal, metrics } = options;
  const reconnecting = (err: unknown, waitMs: number) => {
    metrics.retried();
    log.warn({ waitMs, error: options.describe(err) }, 'Kafka unreachable; reconnecting');
  };
  for (;;) {
    let progressed = false;
    const outage = retry(() => sessionOnNewConsumer(options, () => (progressed = true)), { budgetMs, initialDelayMs: RECONNECT_MS, maxDelayMs: MAX_BACKOFF_MS }, {
      ...(signal ? { signal } : {}),
      // A session that made progress before failing is a new outage: end this round to restart the count.
      retriable: (err) => err instanceof KafkaSessionError && !progressed,
      onRetry: (err, waitMs) => reconnecting((err as KafkaSessionError).cause, waitMs),
    });
    const started = Date.now();
    try {
      return await outage;
    } catch (err) {
      if (!(err instanceof KafkaSessionError)) throw err;
      if (progressed && !signal?.aborted) {
        reconnecting(err.cause, RECONNECT_MS);
        await sleep(RECONNECT_MS);
        continue;
      }
      throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `relay stopped: Kafka at ${options.kafkaAddress} unreachable for ${Math.round((Date.now() - started) / 1000)} s (relay.retryBudgetSeconds ${budgetMs / 1000}): ${options.describe(err.cause)}; offsets of unwritten results stay uncommitted, so a restart writes them`, { cause: err.cause, retriable: true });
    }
  }
}

async function sessionOnNewConsumer(options: KafkaSessionsOptions, onProgress: () => void): Promise<void> {
  const consumer = options.newConsumer();
  try {
    await options.session(consumer, onProgress);
  } finally {
    // With the broker gone, leaving the group cannot complete: give it 10 s, then go on.
    await Promise.race([new Promise<void>((resolve) => consumer.close(true, () => resolve())), sleep(10_000, undefined, { ref: false })]);
  }
}
