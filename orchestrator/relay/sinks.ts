// Opening and closing the relay's sinks. A sink may be down when the relay starts (Cassandra not
// up yet): each is tried again within the relay's retry budget.
import { childLogger } from '../../common/logger.js';
import { retry } from '../../common/retry.js';
import type { OpenedResultSink, ResultSink } from '../../clients/index.js';
import type { RelayMetrics } from './metrics.js';

const log = childLogger('relay');

/** Opens every sink in order; if one cannot be opened within the budget, those already open are closed. */
export async function openSinks(sinks: ResultSink[], options: { budgetMs: number; signal?: AbortSignal | undefined; metrics: RelayMetrics }): Promise<OpenedResultSink[]> {
  const opened: OpenedResultSink[] = [];
  try {
    for (const sink of sinks) {
      const open = retry(() => sink.open(), { budgetMs: options.budgetMs, initialDelayMs: 2_000, maxDelayMs: 2_000, multiplier: 1 }, {
        ...(options.signal ? { signal: options.signal } : {}),
        // Whatever failed, trying again within the budget is the point: the driver's errors carry no flag.
        retriable: () => true,
        onRetry: (err) => {
          options.metrics.retried();
          log.warn({ sink: sink.name, error: sink.describe(err) }, `${sink.target} unreachable; retrying in 2 s`);
        },
      });
      opened.push(await open);
    }
    return opened;
  } catch (err) {
    await closeSinks(opened);
    throw err;
  }
}

export async function closeSinks(sinks: OpenedResultSink[]): Promise<void> {
  await Promise.all(sinks.map((sink) => sink.close().catch(() => undefined)));
}
