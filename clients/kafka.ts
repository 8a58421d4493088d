// Kafka, in the one place its connection settings are built: for every @platformatic/kafka client
// (admin, consumer, producer), for librdkafka, and in the form Flink's Kafka SQL connector takes.
// A plain local broker, or SASL_SSL / PLAIN / `$ConnectionString` as on the Event Hubs Kafka endpoint.
import { readFileSync } from 'node:fs';
import { Admin } from '@platformatic/kafka';
import { InfrastructureError, UserError } from '../common/errors.js';
import { pollUntil, type Clock } from '../common/retry.js';

/**
 * How long Flink's exactly-once results sink keeps a transaction open (up to its checkpoint
 * timeout). The job asks for it and the local broker allows it: the two must agree.
 */
export const KAFKA_TRANSACTION_TIMEOUT_MS = 900_000;

/** Inside Flink's Kafka SQL jar the Kafka client is shaded, and so is its login module. */
export const SHADED_PLAIN_LOGIN_MODULE = 'org.apache.flink.kafka.shaded.org.apache.kafka.common.security.plain.PlainLoginModule';

/**
 * The Kafka client a producer uses: `librdkafka` (@confluentinc/kafka-javascript, an optional
 * native dependency), `javascript` (@platformatic/kafka), or `auto`: librdkafka when it is
 * installed and can make the connection, otherwise JavaScript.
 */
export type KafkaClientChoice = 'auto' | 'librdkafka' | 'javascript';

/**
 * Where a Kafka is and how to log in: a plain broker, or SASL_SSL with a connection string. The
 * options every Kafka helper here takes (common/client-options.ts fills them from the settings).
 */
export interface KafkaEndpoint {
  bootstrapServers: string;
  /** An Event Hubs namespace connection string: the password of user `$ConnectionString` (a secret). */
  connectionString?: string;
  /** PEM of a CA to trust for the TLS connection (a private CA; Event Hubs needs none). */
  caFile?: string;
  /** The client the generator's producer uses (default `auto`); the helpers here use @platformatic/kafka. */
  client?: KafkaClientChoice;
}

/** What the topic helpers take: the endpoint, and how many partitions a topic they create gets. */
export interface KafkaTopicOptions extends KafkaEndpoint {
  partitions: number;
}

/** Connection options of a @platformatic/kafka client (Admin, Consumer, Producer). */
export function kafkaConnection(endpoint: KafkaEndpoint) {
  return {
    bootstrapBrokers: endpoint.bootstrapServers.split(','),
    ...(endpoint.connectionString !== undefined
      ? {
          tls: endpoint.caFile ? { ca: [readFileSync(endpoint.caFile)] } : {},
          sasl: { mechanism: 'PLAIN' as const, username: '$ConnectionString', password: endpoint.connectionString },
        }
      : {}),
  };
}

/** The same connection as librdkafka (@confluentinc/kafka-javascript) takes it. */
export interface LibrdkafkaConnection {
  bootstrapServers: string;
  /** SASL_SSL with mechanism PLAIN (the Event Hubs Kafka endpoint) when set. */
  sasl?: { username: string; password: string };
  /** PEM of a CA to trust for that TLS connection. */
  caFile?: string;
}

export function librdkafkaConnection(endpoint: KafkaEndpoint): LibrdkafkaConnection {
  return {
    bootstrapServers: endpoint.bootstrapServers,
    ...(endpoint.connectionString !== undefined ? { sasl: { username: '$ConnectionString', password: endpoint.connectionString } } : {}),
    ...(endpoint.caFile ? { caFile: endpoint.caFile } : {}),
  };
}

/** The connection as Flink's Kafka SQL connector options (`properties.*`); none for a plain local broker. */
export function kafkaSqlOptions(endpoint: KafkaEndpoint): Record<string, string> {
  const connectionString = endpoint.connectionString;
  if (connectionString === undefined) return {};
  if (connectionString.includes('"')) throw new UserError('TIPSTREAM_CONFIG', 'kafka.connectionString must not contain a double quote');
  return {
    'properties.security.protocol': 'SASL_SSL',
    'properties.sasl.mechanism': 'PLAIN',
    'properties.sasl.jaas.config': `${SHADED_PLAIN_LOGIN_MODULE} required username="$ConnectionString" password="${connectionString}";`,
    ...(endpoint.caFile ? { 'properties.ssl.truststore.type': 'PEM', 'properties.ssl.truststore.location': endpoint.caFile } : {}),
  };
}

/** The broker setting that lets the exactly-once sink keep its transactions open long enough. */
export function transactionTimeoutSqlOption(): Record<string, string> {
  return { 'properties.transaction.timeout.ms': String(KAFKA_TRANSACTION_TIMEOUT_MS) };
}

function alreadyExists(err: unknown): boolean {
  const errors = err instanceof AggregateError ? err.errors : [err];
  return errors.length > 0 && errors.every((e) => e instanceof Error && /already exists/i.test(e.message));
}

/** Creates the topics that do not exist yet (not possible on Event Hubs: create hubs there). */
export async function ensureTopics(kafka: KafkaTopicOptions, topics: string[]): Promise<string[]> {
  if (kafka.connectionString !== undefined) return [];
  const admin = new Admin({ clientId: 'tipstream-deploy', ...kafkaConnection(kafka) });
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    for (const topic of missing) {
      try {
        await admin.createTopics({ topics: [topic], partitions: kafka.partitions, replicas: 1 });
      } catch (err) {
        // Another deploy (or generator) may have created it in the meantime: that is fine.
        if (!alreadyExists(err)) throw err;
      }
    }
    return missing;
  } catch (cause) {
    throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `creating topics on Kafka at ${kafka.bootstrapServers} failed`, { cause, retriable: true });
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** How many partitions each topic has (topics that do not exist are left out). */
export async function topicPartitions(kafka: KafkaEndpoint, topics: string[]): Promise<Record<string, number>> {
  const admin = new Admin({ clientId: 'tipstream-deploy', ...kafkaConnection(kafka) });
  try {
    const metadata = await admin.metadata({ topics });
    return Object.fromEntries(topics.flatMap((t) => {
      const topic = metadata.topics.get(t);
      return topic ? [[t, topic.partitionsCount]] : [];
    }));
  } catch (cause) {
    throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `reading the partitions of ${topics.join(', ')} on Kafka at ${kafka.bootstrapServers} failed`, { cause, retriable: true });
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Deletes the topics that exist and creates them again, empty (a local broker only). */
export async function recreateTopics(kafka: KafkaTopicOptions, topics: string[], clock?: Clock): Promise<void> {
  const admin = new Admin({ clientId: 'tipstream-start', ...kafkaConnection(kafka) });
  try {
    const existing = new Set(await admin.listTopics());
    const old = topics.filter((t) => existing.has(t));
    if (old.length > 0) await admin.deleteTopics({ topics: old });
  } finally {
    await admin.close().catch(() => undefined);
  }
  // Deletion completes in the background: creating too early says the topic still exists.
  await pollUntil('the re-created topics', async () => (await ensureTopics(kafka, topics)).length === topics.length, {
    timeoutMs: 60_000,
    intervalMs: 500,
    ...(clock ? { clock } : {}),
    onTimeout: 'return',
  });
}
