// One Kafka consumer session of the relay: it joins the group, reads committed records only
// (read_committed, offsets committed by the batch writer, never automatically), hands them over
// in batches, keeps the lag gauge, and ends when the stream closes (idle, a signal) or Kafka fails.
import { Consumer, FetchIsolationLevels, MessagesStreamFallbackModes, MessagesStreamModes, stringDeserializers, type Message } from '@platformatic/kafka';
import type { ResolvedConfig } from '../../common/config.js';
import { InfrastructureError } from '../../common/errors.js';
import { childLogger } from '../../common/logger.js';
import { abortedWith } from '../../common/retry.js';
import { kafkaConnection, subscribedRoundRobinAssigner } from '../../clients/index.js';
import { kafkaEndpoint } from '../../common/client-options.js';
import type { RelayMetrics } from './metrics.js';

const log = childLogger('relay');

/** Records taken from the stream before their writes start; offsets are committed per batch. */
const MAX_BATCH = 5000;

type RelayConsumer = Consumer<string, string, string, string>;
type RelayRecord = Message<string, string, string, string>;

/** A consumer session ended by Kafka (unreachable broker, lost group): the relay starts another. */
export class KafkaSessionError extends InfrastructureError {
  constructor(cause: unknown) {
    super('TIPSTREAM_UNREACHABLE', 'Kafka consumer session failed', { cause, retriable: true });
  }
}

export function relayConsumer(config: ResolvedConfig, groupId: string): RelayConsumer {
  return new Consumer({
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
}

export interface SessionOptions {
  topic: string;
  /** Stop after this long without a new record. */
  stopWhenIdleMs?: number | undefined;
  signal?: AbortSignal | undefined;
  metrics: RelayMetrics;
  /** Writes a batch and commits its offsets; a failure ends the session. */
  writeBatch: (batch: RelayRecord[]) => Promise<void>;
  /** Called once the group is joined and after each batch written: the session made progress. */
  onProgress: () => void;
}

/**
 * One consumer session, until the stream closes (idle, or a signal). A Kafka error ends it with
 * KafkaSessionError; what was taken but not written stays uncommitted, so the next session
 * reads it again (the writes are idempotent).
 */
export async function consumeSession(consumer: RelayConsumer, options: SessionOptions): Promise<void> {
  const { signal, stopWhenIdleMs } = options;
  let stream: Awaited<ReturnType<RelayConsumer['consume']>> | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  const stop = () => void stream?.close().catch(() => undefined);
  const armIdle = () => {
    if (stopWhenIdleMs === undefined) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stop, stopWhenIdleMs);
  };
  const activity = { lastRecordAt: Date.now(), writing: false };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const consuming = consumer.consume({
      topics: [options.topic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: 500,
    });
    // Joining the group can take as long as a rebalance (a member that died still in it): a
    // signal meanwhile ends the session at once, and the stream, should it come, is closed.
    stream = await Promise.race([consuming, abortedWith(signal, undefined)]);
    if (stream === undefined) {
      void consuming.then((late) => late.close()).catch(() => undefined);
      return;
    }
    options.onProgress();
    armIdle();
    monitorLag(consumer, options, activity);
    let batch: RelayRecord[] = [];
    for await (const message of stream) {
      activity.lastRecordAt = Date.now();
      batch.push(message);
      if (batch.length >= MAX_BATCH || stream.readableLength === 0) {
        clearTimeout(idleTimer);
        activity.writing = true;
        await options.writeBatch(batch).finally(() => (activity.writing = false));
        batch = [];
        options.onProgress();
        armIdle();
      }
    }
    // The stream closed (idle, or a signal): what was taken but not written stays uncommitted.
    if (batch.length > 0 && !signal?.aborted) await options.writeBatch(batch);
  } catch (err) {
    // A write that used up its budget, or a programming error, ends the relay; Kafka going away does not.
    if (err instanceof InfrastructureError || err instanceof TypeError) throw err;
    throw new KafkaSessionError(err);
  } finally {
    clearTimeout(idleTimer);
    consumer.stopLagMonitoring();
    signal?.removeEventListener('abort', stop);
    await stream?.close().catch(() => undefined);
  }
}

/**
 * The consumer's lag, every 5 s: the latest offsets minus what the relay committed. That
 * difference never reaches 0 behind an exactly-once sink, whose commit markers take offsets no
 * record is ever read from. So a relay that has written everything and has been handed nothing
 * for a while (its fetches wait 0.5 s each) has no lag: nothing readable is left.
 */
function monitorLag(consumer: RelayConsumer, options: SessionOptions, activity: { lastRecordAt: number; writing: boolean }): void {
  consumer.on('consumer:lag', (lag) => {
    if (!activity.writing && Date.now() - activity.lastRecordAt > 2_000) return options.metrics.setLag(0);
    let total = 0n;
    for (const partitions of lag.values()) for (const behind of partitions) if (behind > 0n) total += behind;
    options.metrics.setLag(Number(total));
  });
  consumer.on('consumer:lag:error', (err: Error) => log.debug({ err }, 'lag unavailable'));
  consumer.startLagMonitoring({ topics: [options.topic] }, 5_000);
}
