// The relay: window results from `taxi-neighborhood-stats` into every configured sink (Cassandra /
// Cosmos DB, CSV files). It reads committed records only, writes each batch to every sink (each
// write idempotent: an upsert, a file replaced whole), and commits a partition's offset only after
// every sink acknowledged every write before it. A write that keeps failing past the retry budget
// stops the relay with its offset uncommitted, so the next start writes it again: nothing is lost,
// and a repeat overwrites itself. The parts: relay/sinks.ts (open, close), relay/batch-writer.ts
// (validate, write with retries, commit), relay/consumer-session.ts (one Kafka session),
// relay/kafka-sessions.ts (waiting out Kafka), relay/metrics.ts (counters).
import type { Registry } from 'prom-client';
import type { ResolvedConfig } from '../common/config.js';
import { childLogger } from '../common/logger.js';
import { redact, type ResultSink, type WindowResult } from '../clients/index.js';
import { configuredSinks } from './result-sinks.js';
import { BatchWriter } from './relay/batch-writer.js';
import { consumeSession, relayConsumer } from './relay/consumer-session.js';
import { runKafkaSessions } from './relay/kafka-sessions.js';
import { RelayMetrics, type RelayCounters } from './relay/metrics.js';
import { closeSinks, openSinks } from './relay/sinks.js';

export type { RelayCounters } from './relay/metrics.js';

const log = childLogger('relay');

export interface RelayOptions {
  topic?: string;
  consumerGroup?: string;
  /** Stop after this long without a new record (a finished bounded job, a backfill). */
  stopWhenIdleMs?: number;
  signal?: AbortSignal;
  /** Called after each committed batch with the running totals. */
  onBatch?: (counters: RelayCounters) => void;
  /** Called after each committed batch with the rows it wrote. */
  onRows?: (rows: WindowResult[]) => void;
  /** Prometheus registry for the relay's counters. */
  registry?: Registry;
  /** Where results go; default the sinks `relay.sinks` lists. */
  sinks?: ResultSink[];
}

export async function runRelay(config: ResolvedConfig, options: RelayOptions = {}): Promise<RelayCounters> {
  const topic = options.topic ?? config.kafka.statsTopic;
  const groupId = options.consumerGroup ?? config.relay.consumerGroup;
  const { signal, stopWhenIdleMs } = options;
  const metrics = new RelayMetrics(options.registry);
  const budgetMs = config.relay.retryBudgetSeconds * 1000;
  const sinks = await openSinks(options.sinks ?? configuredSinks(config), { budgetMs, signal, metrics });
  log.info({ topic, groupId, sinks: sinks.map((sink) => sink.target) }, 'relay starting');
  // Back-off of a failing write (honouring what the failure asks for, such as Cosmos DB's RetryAfterMs).
  const policy = { budgetMs, initialDelayMs: 250, maxDelayMs: 10_000 };
  const writer = new BatchWriter({ topic, sinks, policy, metrics, signal, onRows: options.onRows, onBatch: options.onBatch });
  try {
    await runKafkaSessions({
      budgetMs,
      signal,
      metrics,
      kafkaAddress: config.kafka.bootstrapServers,
      describe: (err) => redact(err, config.cassandra),
      newConsumer: () => relayConsumer(config, groupId),
      session: (consumer, onProgress) => consumeSession(consumer, { topic, stopWhenIdleMs, signal, metrics, onProgress, writeBatch: (batch) => writer.write(batch) }),
    });
  } finally {
    await closeSinks(sinks);
  }
  log.info({ ...metrics.counters }, 'relay stopped');
  return metrics.counters;
}
