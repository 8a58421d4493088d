// The relay: window results from `taxi-neighborhood-stats` into Cassandra / Cosmos DB. It reads
// committed records only, writes each as an idempotent upsert with bounded concurrency, and
// commits a partition's offset only after every write before it was acknowledged. A write that
// keeps failing past the retry budget stops the relay with its offset uncommitted, so the next
// start writes it again: nothing is lost, and a repeat overwrites itself.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, FetchIsolationLevels, MessagesStreamFallbackModes, MessagesStreamModes, stringDeserializers, type Message } from '@platformatic/kafka';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResolvedConfig } from '../common/config.js';
import { InfrastructureError } from '../common/errors.js';
import { childLogger } from '../common/logger.js';
import { isRetriableWriteError, redact, ResultsTable, retryAfterMs, type WindowResult } from './cassandra-store.js';

const log = childLogger('relay');

/** Records taken from the stream before their writes start; offsets are committed per batch. */
const MAX_BATCH = 5000;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;

export interface RelayCounters {
  /** Upserts Cassandra acknowledged. */
  written: number;
  /** Writes tried again after a retriable failure. */
  retries: number;
  /** Records that are not a window result (logged with partition and offset, then skipped). */
  rejected: number;
  /** Offset commits made. */
  commits: number;
}

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
}

/** Parses and checks one record; undefined when it is not a window result. */
export function parseWindowResult(value: string): WindowResult | undefined {
  let row: unknown;
  try {
    row = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof row !== 'object' || row === null) return undefined;
  const r = row as Record<string, unknown>;
  const isTime = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
  const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const numbers = ['rideCount', 'totalFareAmount', 'totalTipAmount', 'averageFareAmount', 'averageTipAmount', 'totalDistanceMiles'];
  if (!isTime(r.windowStart) || !isTime(r.windowEnd) || typeof r.neighborhood !== 'string' || r.neighborhood === '') return undefined;
  if (!numbers.every((key) => isNumber(r[key]))) return undefined;
  if (r.averageTipPerMile !== null && r.averageTipPerMile !== undefined && !isNumber(r.averageTipPerMile)) return undefined;
  return { ...(r as unknown as WindowResult), averageTipPerMile: (r.averageTipPerMile as number | null | undefined) ?? null };
}

/** Runs `work` over the items with at most `limit` running at once; rejects on the first failure. */
export async function forEachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Retries a retriable failure with growing back-off (honouring Cosmos DB's RetryAfterMs) within the budget. */
export async function withRetry(write: () => Promise<void>, budgetMs: number, onRetry: (err: unknown, waitMs: number) => void, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + budgetMs;
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    try {
      await write();
      return;
    } catch (err) {
      const wait = Math.min(retryAfterMs(err) ?? backoff, MAX_BACKOFF_MS);
      if (!isRetriableWriteError(err) || Date.now() + wait > deadline || signal?.aborted) throw err;
      onRetry(err, wait);
      await sleep(wait);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
}

function relayMetrics(registry: Registry | undefined) {
  const registers = registry ? [registry] : [];
  return {
    written: new Counter({ name: 'tipstream_relay_rows_written_total', help: 'Window results upserted into Cassandra', registers }),
    retries: new Counter({ name: 'tipstream_relay_retries_total', help: 'Writes retried after Overloaded, timeouts or no host', registers }),
    rejected: new Counter({ name: 'tipstream_relay_rejected_total', help: 'Records on the results topic that are not window results', registers }),
    lastCommit: new Gauge({ name: 'tipstream_relay_last_commit_timestamp_seconds', help: 'When the relay last committed offsets', registers }),
    lag: new Gauge({ name: 'tipstream_relay_lag_records', help: 'Results on the topic not yet committed by the relay (summed over its partitions)', registers }),
  };
}

export async function runRelay(config: ResolvedConfig, options: RelayOptions = {}): Promise<RelayCounters> {
  const topic = options.topic ?? config.kafka.statsTopic;
  const groupId = options.consumerGroup ?? config.relay.consumerGroup;
  const counters: RelayCounters = { written: 0, retries: 0, rejected: 0, commits: 0 };
  const metrics = relayMetrics(options.registry);
  const budgetMs = config.relay.retryBudgetSeconds * 1000;
  // Cassandra may be down when the relay starts: keep trying within the same retry budget.
  const deadline = Date.now() + budgetMs;
  let table: ResultsTable | undefined;
  while (table === undefined) {
    try {
      table = await ResultsTable.open(config, { createSchema: true });
    } catch (err) {
      if (Date.now() + 2_000 > deadline || options.signal?.aborted) throw err;
      counters.retries += 1;
      metrics.retries.inc();
      log.warn({ error: redact(err, config) }, 'Cassandra unreachable; retrying in 2 s');
      await sleep(2_000);
    }
  }
  const secure = config.kafka.connectionString !== undefined;
  const consumer = new Consumer({
    groupId,
    clientId: 'tipstream-relay',
    bootstrapBrokers: config.kafka.bootstrapServers.split(','),
    deserializers: stringDeserializers,
    // A relay killed without leaving the group is evicted after 10 s, so its restart can join:
    // with the client's 60 s default the new member's join request timed out first.
    sessionTimeout: 10_000,
    rebalanceTimeout: 20_000,
    heartbeatInterval: 3_000,
    requestTimeout: 45_000,
    ...(secure ? { tls: config.kafka.caFile ? { ca: [readFileSync(config.kafka.caFile)] } : {}, sasl: { mechanism: 'PLAIN' as const, username: '$ConnectionString', password: config.kafka.connectionString! } } : {}),
  });
  log.info({ topic, groupId, target: table.target }, 'relay starting');

  const writeBatch = async (batch: Array<Message<string, string, string, string>>) => {
    const rows: Array<{ row: WindowResult }> = [];
    for (const message of batch) {
      const row = parseWindowResult(message.value);
      if (row === undefined) {
        counters.rejected += 1;
        metrics.rejected.inc();
        log.error({ topic, partition: message.partition, offset: String(message.offset), value: String(message.value).slice(0, 200) }, 'not a window result; skipped');
      } else rows.push({ row });
    }
    await forEachConcurrently(rows, config.relay.concurrency, async ({ row }) => {
      await withRetry(
        () => table.upsert(row),
        budgetMs,
        (err, waitMs) => {
          counters.retries += 1;
          metrics.retries.inc();
          log.warn({ waitMs, error: redact(err, config) }, 'write failed; retrying');
        },
        options.signal,
      );
      counters.written += 1;
      metrics.written.inc();
    });
    // Every write of the batch is acknowledged: commit the last offset of each partition.
    const last = new Map<number, Message<string, string, string, string>>();
    for (const message of batch) {
      const seen = last.get(message.partition);
      if (seen === undefined || message.offset > seen.offset) last.set(message.partition, message);
    }
    for (const message of last.values()) await message.commit();
    counters.commits += 1;
    metrics.lastCommit.setToCurrentTime();
    options.onRows?.(rows.map((r) => r.row));
    options.onBatch?.({ ...counters });
  };

  let stream: Awaited<ReturnType<typeof consumer.consume>> | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  const stop = () => void stream?.close().catch(() => undefined);
  const armIdle = () => {
    if (options.stopWhenIdleMs === undefined) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stop, options.stopWhenIdleMs);
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    stream = await consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: 500,
    });
    armIdle();
    // The consumer's lag, every 5 s: the latest offsets minus what the relay committed.
    consumer.on('consumer:lag', (lag) => {
      let total = 0n;
      for (const partitions of lag.values()) for (const behind of partitions) if (behind > 0n) total += behind;
      metrics.lag.set(Number(total));
    });
    consumer.on('consumer:lag:error', (err: Error) => log.debug({ err }, 'lag unavailable'));
    consumer.startLagMonitoring({ topics: [topic] }, 5_000);
    let batch: Array<Message<string, string, string, string>> = [];
    for await (const message of stream) {
      batch.push(message);
      if (batch.length >= MAX_BATCH || stream.readableLength === 0) {
        clearTimeout(idleTimer);
        await writeBatch(batch);
        batch = [];
        armIdle();
      }
    }
    // The stream closed (idle, or a signal): what was taken but not written stays uncommitted.
    if (batch.length > 0 && !options.signal?.aborted) await writeBatch(batch);
  } catch (err) {
    if (err instanceof InfrastructureError) throw err;
    throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `relay stopped: ${redact(err, config)}; offsets of unwritten results stay uncommitted, so a restart writes them`, { cause: err });
  } finally {
    clearTimeout(idleTimer);
    consumer.stopLagMonitoring();
    options.signal?.removeEventListener('abort', stop);
    await stream?.close().catch(() => undefined);
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
    await table!.close().catch(() => undefined);
  }
  log.info({ ...counters }, 'relay stopped');
  return counters;
}
