// Small Kafka helpers for integration tests: unique topics, produce, read back with a deadline.
import { randomUUID } from 'node:crypto';
import { kafkaConnection } from '../../clients/index.js';
import { Admin, Consumer, FetchIsolationLevels, MessagesStreamModes, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';

export interface ReadMessage {
  key: string;
  value: string;
  partition: number;
  offset: bigint;
}

/** SASL_SSL / PLAIN / $ConnectionString, as for the Event Hubs Kafka endpoint (and the secure local broker). */
export interface KafkaSecurity {
  connectionString: string;
  caFile: string;
}

/** The connection of every test client: through clients/, as tipstream's own clients connect. */
function connection(bootstrap: string, security?: KafkaSecurity) {
  return kafkaConnection({ bootstrapServers: bootstrap, ...security });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createTopics(bootstrap: string, topics: string[], partitions = 1, security?: KafkaSecurity): Promise<void> {
  const admin = new Admin({ clientId: 'tipstream-test', ...connection(bootstrap, security) });
  try {
    await admin.createTopics({ topics, partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

export async function deleteTopics(bootstrap: string, topics: string[]): Promise<void> {
  const admin = new Admin({ clientId: 'tipstream-test', ...connection(bootstrap) });
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
}

export async function produce(bootstrap: string, topic: string, messages: Array<{ key?: string; value: string }>, security?: KafkaSecurity): Promise<void> {
  // Idempotent: without it this client, retrying a produce request that partly failed on a
  // freshly created topic, was seen to write a partition's batch twice.
  const producer = new Producer({ clientId: 'tipstream-test', serializers: stringSerializers, idempotent: true, ...connection(bootstrap, security) });
  try {
    await producer.send({ messages: messages.map((m) => ({ topic, key: m.key, value: m.value })) });
  } finally {
    await producer.close();
  }
}

/**
 * Reads a topic from the start until `count` messages arrived or the deadline passed. With
 * `quietMs`, it then goes on reading until nothing new came for that long, so extra messages
 * beyond `count` show up in the result.
 */
export async function readMessages(bootstrap: string, topic: string, count: number, timeoutMs = 60_000, quietMs = 0, security?: KafkaSecurity): Promise<ReadMessage[]> {
  const consumer = new Consumer({
    groupId: uniqueName('tipstream-test'),
    clientId: 'tipstream-test',
    deserializers: stringDeserializers,
    ...connection(bootstrap, security),
  });
  const messages: ReadMessage[] = [];
  try {
    // Read-committed: what the exactly-once results sink aborted (a crashed job's open transaction) is not a result.
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false, maxWaitTime: 500, isolationLevel: FetchIsolationLevels.READ_COMMITTED });
    let timer = setTimeout(() => void stream.close(), timeoutMs);
    try {
      // A consumer-group rebalance may deliver a record again: keep each (partition, offset) once.
      const seen = new Set<string>();
      for await (const message of stream) {
        const id = `${message.partition}:${message.offset}`;
        if (seen.has(id)) continue;
        seen.add(id);
        messages.push({ key: String(message.key ?? ''), value: String(message.value ?? ''), partition: message.partition, offset: message.offset });
        if (messages.length >= count) {
          if (quietMs === 0) break;
          clearTimeout(timer);
          timer = setTimeout(() => void stream.close(), quietMs);
        }
      }
    } finally {
      clearTimeout(timer);
      await stream.close().catch(() => undefined);
    }
  } finally {
    await consumer.close(true);
  }
  return messages;
}
