// The relay: window results from `taxi-neighborhood-stats` into Cassandra / Cosmos DB. It reads
// committed records only, writes each as an idempotent upsert with bounded concurrency, and
// commits a partition's offset only after every write before it was acknowledged. A write that
// keeps failing past the retry budget stops the relay with its offset uncommitted, so the next
// start writes it again: nothing is lost, and a repeat overwrites itself.
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, FetchIsolationLevels, MessagesStreamFallbackModes, MessagesStreamModes, stringDeserializers, type Message } from '@platformatic/kafka';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResolvedConfig } from '../common/config.js';
import { InfrastructureError } from '../common/errors.js';
import { childLogger } from '../common/logger.js';
import { isRetriableWriteError, isUnprepared, kafkaConnection, kafkaEndpoint, parseWindowResult, redact, ResultsTable, retryAfterMs, subscribedRoundRobinAssigner, type WindowResult } from '../clients/index.js';
import { abortedWith, retry, type RetryPolicy } from '../common/retry.js';

const log = childLogger('relay');

/** A consumer session ended by Kafka (unreachable broker, lost group): the relay starts another. */
class KafkaSessionError extends Error {
  constructor(cause: unknown) {
    super('Kafka consumer session failed', { cause });
  }
}

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

/** Runs `work` over the items with at most `limit` running at once; rejects on the first failure. */
export async function forEachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Back-off of a failing write (honouring Cosmos DB's RetryAfterMs) and of a lost Kafka session. */
function writePolicy(budgetMs: number): RetryPolicy {
  return { budgetMs, initialDelayMs: FIRST_BACKOFF_MS, maxDelayMs: MAX_BACKOFF_MS };
}

function relayMetrics(registry: Registry | undefined) {
  const registers = registry ? [registry] : [];
  const metrics = {
    written: new Counter({ name: 'tipstream_relay_rows_written_total', help: 'Window results upserted into Cassandra', registers }),
    retries: new Counter({ name: 'tipstream_relay_retries_total', help: 'Writes retried after Overloaded, timeouts or no host', registers }),
    rejected: new Counter({ name: 'tipstream_relay_rejected_total', help: 'Records on the results topic that are not window results', registers }),
    lastCommit: new Gauge({ name: 'tipstream_relay_last_commit_timestamp_seconds', help: 'When the relay last committed offsets', registers }),
    // Registered at its first sample: until Kafka has answered, the lag is unknown, not 0.
    lag: new Gauge({ name: 'tipstream_relay_lag_records', help: 'Readable results on the topic not yet written by the relay (summed over its partitions)', registers: [] }),
  };
  return {
    ...metrics,
    setLag(records: number) {
      if (registry && !registry.getSingleMetric('tipstream_relay_lag_records')) registry.registerMetric(metrics.lag);
      metrics.lag.set(records);
    },
  };
}

export async function runRelay(config: ResolvedConfig, options: RelayOptions = {}): Promise<RelayCounters> {
  const topic = options.topic ?? config.kafka.statsTopic;
  const groupId = options.consumerGroup ?? config.relay.consumerGroup;
  const counters: RelayCounters = { written: 0, retries: 0, rejected: 0, commits: 0 };
  const metrics = relayMetrics(options.registry);
  const budgetMs = config.relay.retryBudgetSeconds * 1000;
  // Cassandra may be down when the relay starts: keep trying within the same retry budget.
  let table = await retry(() => ResultsTable.open(config, { createSchema: true }), { budgetMs, initialDelayMs: 2_000, maxDelayMs: 2_000, multiplier: 1 }, {
    ...(options.signal ? { signal: options.signal } : {}),
    // Whatever failed, trying again within the budget is the point: the driver's errors carry no flag.
    retriable: () => true,
    onRetry: (err) => {
      counters.retries += 1;
      metrics.retries.inc();
      log.warn({ error: redact(err, config) }, 'Cassandra unreachable; retrying in 2 s');
    },
  });
  const newConsumer = () =>
    new Consumer({
      groupId,
      clientId: 'tipstream-relay',
      deserializers: stringDeserializers,
      // A relay killed without leaving the group is evicted after 10 s, so its restart can join:
      // with the client's 60 s default the new member's join request timed out first.
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      heartbeatInterval: 3_000,
      requestTimeout: 45_000,
      // Relays of other runs may share the group name while reading other topics.
      partitionAssigner: subscribedRoundRobinAssigner,
      ...kafkaConnection(kafkaEndpoint(config)),
    });
  log.info({ topic, groupId, target: table.target }, 'relay starting');

  // A Cassandra that restarted has forgotten the prepared upsert: the writes wait for a fresh
  // session (one, whatever the number of writes that failed), which prepares it again.
  let reopening: Promise<void> | undefined;
  const reopen = () =>
    (reopening ??= (async () => {
      const old = table;
      table = await ResultsTable.open(config, { createSchema: false });
      log.warn({ target: table.target }, 'Cassandra forgot the prepared upsert (a restart): new session');
      await old.close().catch(() => undefined);
    })().finally(() => (reopening = undefined)));

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
      const started = Date.now();
      await retry(
        async () => {
          await reopening?.catch(() => undefined);
          return table.upsert(row);
        },
        writePolicy(budgetMs),
        {
          retriable: (err) => isRetriableWriteError(err) || isUnprepared(err),
          waitFor: retryAfterMs,
          ...(options.signal ? { signal: options.signal } : {}),
          onRetry: (err, waitMs) => {
            counters.retries += 1;
            metrics.retries.inc();
            if (isUnprepared(err)) void reopen().catch(() => undefined);
            log.warn({ waitMs, error: redact(err, config) }, 'write failed; retrying');
          },
        },
      ).catch((err: unknown) => {
        // Named as what it is: the session loop would otherwise take it for Kafka going away.
        if (err instanceof InfrastructureError || err instanceof TypeError) throw err;
        throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `relay stopped: writing to ${table.target} failed for ${Math.round((Date.now() - started) / 1000)} s (relay.retryBudgetSeconds ${config.relay.retryBudgetSeconds}): ${redact(err, config)}; offsets of unwritten results stay uncommitted, so a restart writes them`, { cause: err, retriable: true });
      });
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

  /**
   * One consumer session, until the stream closes (idle, or a signal). A Kafka error ends it with
   * KafkaSessionError; what was taken but not written stays uncommitted, so the next session
   * reads it again (the writes are idempotent upserts).
   */
  const consumeSession = async (consumer: Consumer<string, string, string, string>, onProgress: () => void): Promise<void> => {
    let stream: Awaited<ReturnType<typeof consumer.consume>> | undefined;
    let idleTimer: NodeJS.Timeout | undefined;
    const stop = () => void stream?.close().catch(() => undefined);
    const armIdle = () => {
      if (options.stopWhenIdleMs === undefined) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(stop, options.stopWhenIdleMs);
    };
    // The time of the last record taken and whether a batch is being written, for the lag below.
    let lastRecordAt = Date.now();
    let writing = false;
    options.signal?.addEventListener('abort', stop, { once: true });
    try {
      const consuming = consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
        maxWaitTime: 500,
      });
      // Joining the group can take as long as a rebalance (a member that died still in it): a
      // signal meanwhile ends the session at once, and the stream, should it come, is closed.
      stream = await Promise.race([consuming, abortedWith(options.signal, undefined)]);
      if (stream === undefined) {
        void consuming.then((late) => late.close()).catch(() => undefined);
        return;
      }
      onProgress();
      armIdle();
      // The consumer's lag, every 5 s: the latest offsets minus what the relay committed. That
      // difference never reaches 0 behind an exactly-once sink, whose commit markers take offsets
      // no record is ever read from. So a relay that has written everything and has been handed
      // nothing for a while (its fetches wait 0.5 s each) has no lag: nothing readable is left.
      consumer.on('consumer:lag', (lag) => {
        if (!writing && Date.now() - lastRecordAt > 2_000) return metrics.setLag(0);
        let total = 0n;
        for (const partitions of lag.values()) for (const behind of partitions) if (behind > 0n) total += behind;
        metrics.setLag(Number(total));
      });
      consumer.on('consumer:lag:error', (err: Error) => log.debug({ err }, 'lag unavailable'));
      consumer.startLagMonitoring({ topics: [topic] }, 5_000);
      let batch: Array<Message<string, string, string, string>> = [];
      for await (const message of stream) {
        lastRecordAt = Date.now();
        batch.push(message);
        if (batch.length >= MAX_BATCH || stream.readableLength === 0) {
          clearTimeout(idleTimer);
          writing = true;
          await writeBatch(batch).finally(() => (writing = false));
          batch = [];
          onProgress();
          armIdle();
        }
      }
      // The stream closed (idle, or a signal): what was taken but not written stays uncommitted.
      if (batch.length > 0 && !options.signal?.aborted) await writeBatch(batch);
    } catch (err) {
      // A write that used up its budget, or a programming error, ends the relay; Kafka going away does not.
      if (err instanceof InfrastructureError || err instanceof TypeError) throw err;
      throw new KafkaSessionError(err);
    } finally {
      clearTimeout(idleTimer);
      consumer.stopLagMonitoring();
      options.signal?.removeEventListener('abort', stop);
      await stream?.close().catch(() => undefined);
    }
  };

  try {
    // Kafka away (a broker restart, a network cut) is waited out within the retry budget, counted
    // from the first failure in a row: each new session reads on from the committed offsets, and
    // one that made progress starts the count (and the back-off) again.
    for (;;) {
      let progressed = false;
      const outage = retry(
        async () => {
          const consumer = newConsumer();
          try {
            await consumeSession(consumer, () => (progressed = true));
          } finally {
            // With the broker gone, leaving the group cannot complete: give it 10 s, then go on.
            await Promise.race([new Promise<void>((resolve) => consumer.close(true, () => resolve())), sleep(10_000, undefined, { ref: false })]);
          }
        },
        { budgetMs, initialDelayMs: FIRST_BACKOFF_MS * 4, maxDelayMs: MAX_BACKOFF_MS },
        {
          ...(options.signal ? { signal: options.signal } : {}),
          // A session that made progress before failing is a new outage: end this round to restart the count.
          retriable: (err) => err instanceof KafkaSessionError && !progressed,
          onRetry: (err, waitMs) => {
            counters.retries += 1;
            metrics.retries.inc();
            log.warn({ waitMs, error: redact((err as KafkaSessionError).cause, config) }, 'Kafka unreachable; reconnecting');
          },
        },
      );
      const started = Date.now();
      try {
        await outage;
        break;
      } catch (err) {
        if (!(err instanceof KafkaSessionError)) throw err;
        if (progressed && !options.signal?.aborted) {
          counters.retries += 1;
          metrics.retries.inc();
          log.warn({ waitMs: FIRST_BACKOFF_MS * 4, error: redact(err.cause, config) }, 'Kafka unreachable; reconnecting');
          await sleep(FIRST_BACKOFF_MS * 4);
          continue;
        }
        throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `relay stopped: Kafka at ${config.kafka.bootstrapServers} unreachable for ${Math.round((Date.now() - started) / 1000)} s (relay.retryBudgetSeconds ${config.relay.retryBudgetSeconds}): ${redact(err.cause, config)}; offsets of unwritten results stay uncommitted, so a restart writes them`, { cause: err.cause, retriable: true });
      }
    }
  } finally {
    // A new session being opened (after a Cassandra restart) is closed too, once it is there.
    await reopening?.catch(() => undefined);
    await table.close().catch(() => undefined);
  }
  log.info({ ...counters }, 'relay stopped');
  return counters;
}
