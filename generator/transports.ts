// Where the events go: Kafka (the local broker, or the Event Hubs Kafka endpoint over SASL_SSL
// with user $ConnectionString) or Event Hubs over AMQP. Both take batches and report failures
// as errors naming the address, never the secret.
import { readFileSync } from 'node:fs';
import { Admin } from '@platformatic/kafka';
import { kafkaConnection, librdkafkaConnection as librdkafkaConnectionOf, type KafkaClientChoice, type KafkaEndpoint } from '../clients/index.js';
import { eventHubsKafkaEndpoint } from '../common/config.js';
import { ConfigError, InfrastructureError, UserError } from '../common/errors.js';
import { KafkaProducerThread, type ThreadConnection } from './kafka-producer-thread.js';
import { librdkafkaSupports, LibrdkafkaProducer, loadLibrdkafka, type LibrdkafkaConnection } from './librdkafka-producer.js';
import type { EncodedChunk } from './encoded-source.js';
import type { OutgoingEvent } from './records.js';

export interface Topics {
  rideTopic: string;
  fareTopic: string;
}

export interface Transport {
  /** Where events go, for messages (never includes a secret). */
  readonly description: string;
  /** Batches that may be sent before the first is acknowledged, order kept (default 1). */
  readonly maxInFlight?: number;
  send(batch: OutgoingEvent[]): Promise<void>;
  /**
   * Resolves once everything sent so far is acknowledged, for a transport whose `send` resolves
   * earlier (once the events are queued in its client).
   */
  flush?(): Promise<void>;
  /**
   * Sends events already encoded (keys and values as UTF-8): a transport that has it gets them
   * from a worker thread that reads and formats the trips (see encoded-source.ts).
   */
  sendEncoded?(chunk: EncodedChunk): Promise<void>;
  close(): Promise<void>;
}

/** The Kafka endpoint (its `client`: @platformatic/kafka runs on a worker thread here) and the topics. */
export interface KafkaTransportOptions extends Topics, KafkaEndpoint {
  /** How long a batch is retried while the broker does not answer, before the replay fails. */
  deliveryTimeoutMs?: number;
}

export type { KafkaClientChoice };

/** Which client `auto` (or a named one) comes to here, or a ConfigError saying why it cannot. */
export function resolveKafkaClient(choice: KafkaClientChoice, connection: LibrdkafkaConnection): 'librdkafka' | 'javascript' {
  if (choice === 'javascript') return 'javascript';
  const { module, problem } = loadLibrdkafka();
  const usable = module !== undefined && librdkafkaSupports(module, connection);
  if (choice === 'auto') return usable ? 'librdkafka' : 'javascript';
  if (!module) throw new ConfigError(`the librdkafka Kafka client was asked for, but ${problem}. Install it with \`npm install\` (where its prebuilt binary cannot be downloaded, build it against the system's OpenSSL: \`CKJS_LINKING=dynamic npm rebuild @confluentinc/kafka-javascript\`), or use --kafka-client javascript`);
  if (!usable) throw new ConfigError(`this build of librdkafka has no TLS or SASL PLAIN support (features: ${module.features.join(', ')}), which the Event Hubs Kafka endpoint needs: rebuild it with OpenSSL's headers installed, or use --kafka-client javascript`);
  return 'librdkafka';
}

/** Like the Java producer's delivery.timeout.ms default: two minutes of retries a second apart. */
const DEFAULT_DELIVERY_TIMEOUT_MS = 120_000;
const RETRY_DELAY_MS = 1_000;

export class KafkaTransport implements Transport {
  readonly description: string;
  /** The Kafka client this transport uses. */
  readonly client: 'librdkafka' | 'javascript';
  /**
   * JavaScript client: its producer thread keeps each partition's order across overlapping
   * batches. librdkafka: 1, as `send` resolves once the batch is queued.
   */
  readonly maxInFlight: number;
  private readonly producer: KafkaProducerThread | LibrdkafkaProducer;
  /** With librdkafka: events read and encoded on a worker thread are sent as they are. */
  readonly sendEncoded?: (chunk: EncodedChunk) => Promise<void>;
  private readonly connection: ThreadConnection;
  private checked?: Promise<void>;

  constructor(private readonly options: KafkaTransportOptions) {
    const secure = options.connectionString !== undefined;
    this.description = `Kafka at ${options.bootstrapServers}${secure ? ' (SASL_SSL, PLAIN)' : ''}`;
    this.connection = kafkaConnection(options);
    const deliveryTimeoutMs = options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    const librdkafkaConnection: LibrdkafkaConnection = librdkafkaConnectionOf(options);
    this.client = resolveKafkaClient(options.client ?? 'auto', librdkafkaConnection);
    if (this.client === 'librdkafka') {
      this.maxInFlight = 1;
      const producer = new LibrdkafkaProducer(loadLibrdkafka().module!, librdkafkaConnection, { clientId: 'tipstream-generator', deliveryTimeoutMs });
      this.producer = producer;
      this.sendEncoded = async (chunk) => {
        if (chunk.count === 0) return;
        await this.check();
        try {
          await producer.sendEncoded(chunk, [options.rideTopic, options.fareTopic]);
        } catch (cause) {
          throw this.sendFailure(`sending ${chunk.count} events to ${this.description} failed`, cause);
        }
      };
      return;
    }
    this.maxInFlight = 4;
    // Encoding records is most of a replay's CPU time: the producers run on a worker thread
    // (kafka-producer-worker.js), beside the thread that reads and formats trips.
    this.producer = new KafkaProducerThread([options.rideTopic, options.fareTopic], this.connection, {
      clientId: 'tipstream-generator',
      // Idempotent: this client was seen to write a batch twice when a request partly failed on
      // a new topic; the broker drops such repeats only for an idempotent producer. Such a
      // producer retries without end unless told otherwise: a broker that goes away during a
      // replay would hang it, so the retries are bounded, and the check below fails fast at start.
      idempotent: true,
      retries: Math.max(2, Math.ceil(deliveryTimeoutMs / RETRY_DELAY_MS)),
      retryDelay: RETRY_DELAY_MS,
      // Event Hubs closes idle connections after 240 s and suggests shorter metadata ages.
      ...(secure ? { metadataMaxAge: 180_000, requestTimeout: 60_000 } : {}),
    }, PRODUCER_LANES);
  }

  async send(batch: OutgoingEvent[]): Promise<void> {
    if (batch.length === 0) return;
    await this.check();
    try {
      if (this.producer instanceof LibrdkafkaProducer) await this.producer.send(batch, [this.options.rideTopic, this.options.fareTopic]);
      // Requests of at most MAX_REQUEST_BYTES: a partition's part of a request is one record
      // batch, and the broker refuses those over 1 MB by default (a --batch-size of 20,000 failed
      // with MESSAGE_TOO_LARGE before).
      else await this.producer.send(batch, MAX_REQUEST_BYTES);
    } catch (cause) {
      throw this.sendFailure(`sending ${batch.length} events to ${this.description} failed`, cause);
    }
  }

  async flush(): Promise<void> {
    if (!(this.producer instanceof LibrdkafkaProducer)) return;
    try {
      await this.producer.flush();
    } catch (cause) {
      throw this.sendFailure(`sending events to ${this.description} failed`, cause);
    }
  }

  private sendFailure(message: string, cause: unknown): InfrastructureError {
    return new InfrastructureError('TIPSTREAM_UNREACHABLE', message, { cause, retriable: true });
  }

  /**
   * One metadata request with a few retries before the first send: the idempotent producer
   * retries a refused login or an absent broker forever, so without this a wrong key or a
   * stopped broker would hang the replay instead of failing it.
   */
  private check(): Promise<void> {
    this.checked ??= (async () => {
      const admin = new Admin({ clientId: 'tipstream-generator-check', ...this.connection, retries: 2, retryDelay: 500 });
      try {
        await admin.metadata({ topics: [] });
      } catch (cause) {
        this.checked = undefined;
        if (hasErrorCode(cause, 'PLT_KFK_AUTHENTICATION')) {
          throw new ConfigError(`${this.description} refused the login (SASL authentication failed): check the connection string's key and key name`, { cause });
        }
        throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `${this.description} does not answer metadata requests: is it up and reachable?`, { cause, retriable: true });
      } finally {
        await admin.close().catch(() => undefined);
      }
    })();
    return this.checked;
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}

/** Below the broker's default 1 MB limit on a record batch, with room for record overheads. */
const MAX_REQUEST_BYTES = 768 * 1024;

/**
 * Producers (connections) sharing the partitions: an idempotent producer waits for each
 * request's acknowledgement before the next, so a second one encodes meanwhile.
 */
const PRODUCER_LANES = 2;

export { javaCompatiblePartitioner } from './java-partitioner.js';

/** Whether a Kafka client error, or any error it wraps, has this code (a producer thread's error keeps it as `kafkaCode`). */
function hasErrorCode(error: unknown, code: string, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 8) return false;
  const e = error as { code?: unknown; kafkaCode?: unknown; cause?: unknown; errors?: unknown };
  if (e.code === code || e.kafkaCode === code) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => hasErrorCode(inner, code, depth + 1))) return true;
  return hasErrorCode(e.cause, code, depth + 1);
}

/** The part of @azure/event-hubs' producer the transport uses, so tests can stand in for Azure. */
export interface EventHubsProducer {
  createBatch(options: { partitionKey: string }): Promise<EventHubsBatch>;
  sendBatch(batch: EventHubsBatch): Promise<void>;
  close(): Promise<void>;
}

export interface EventHubsBatch {
  tryAdd(event: { body: string }): boolean;
  readonly count: number;
}

export interface EventHubsTransportOptions extends Topics {
  /** Namespace connection string; without it, `namespace` and DefaultAzureCredential are used. */
  connectionString?: string;
  namespace?: string;
}

/**
 * Event Hubs over AMQP: one producer per hub, events batched by partition key. The service hashes
 * the partition key itself (not Kafka's murmur2), so a trip's ride and fare stay together only
 * when both go through this same transport.
 */
export class EventHubsTransport implements Transport {
  readonly description: string;

  constructor(
    private readonly rides: EventHubsProducer,
    private readonly fares: EventHubsProducer,
    where: string,
  ) {
    this.description = `Event Hubs ${where} (AMQP)`;
  }

  static async connect(options: EventHubsTransportOptions): Promise<EventHubsTransport> {
    const { EventHubProducerClient } = await import('@azure/event-hubs');
    if (options.connectionString) {
      const where = eventHubsKafkaEndpoint(options.connectionString).replace(/:9093$/, '');
      return new EventHubsTransport(
        new EventHubProducerClient(options.connectionString, options.rideTopic),
        new EventHubProducerClient(options.connectionString, options.fareTopic),
        where,
      );
    }
    if (!options.namespace) throw new UserError('TIPSTREAM_CONFIG', 'the eventhubs transport needs a connection string (TIPSTREAM_KAFKA_CONNECTION_STRING) or --namespace');
    const { DefaultAzureCredential } = await import('@azure/identity');
    const credential = new DefaultAzureCredential();
    const host = options.namespace.includes('.') ? options.namespace : `${options.namespace}.servicebus.windows.net`;
    return new EventHubsTransport(
      new EventHubProducerClient(host, options.rideTopic, credential),
      new EventHubProducerClient(host, options.fareTopic, credential),
      host,
    );
  }

  async send(batch: OutgoingEvent[]): Promise<void> {
    for (const [producer, stream] of [[this.rides, 'ride'], [this.fares, 'fare']] as const) {
      const byKey = new Map<string, string[]>();
      for (const e of batch) {
        if (e.stream !== stream) continue;
        const bodies = byKey.get(e.key);
        if (bodies) bodies.push(e.value);
        else byKey.set(e.key, [e.value]);
      }
      for (const [partitionKey, bodies] of byKey) {
        let current = await producer.createBatch({ partitionKey });
        for (const body of bodies) {
          if (current.tryAdd({ body })) continue;
          if (current.count === 0) throw new InfrastructureError('TIPSTREAM_INPUT', `an event of ${body.length} bytes is larger than an Event Hubs batch allows`);
          await this.sendOne(producer, current);
          current = await producer.createBatch({ partitionKey });
          if (!current.tryAdd({ body })) throw new InfrastructureError('TIPSTREAM_INPUT', `an event of ${body.length} bytes is larger than an Event Hubs batch allows`);
        }
        if (current.count > 0) await this.sendOne(producer, current);
      }
    }
  }

  private async sendOne(producer: EventHubsProducer, batch: EventHubsBatch): Promise<void> {
    try {
      await producer.sendBatch(batch);
    } catch (cause) {
      throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `sending to ${this.description} failed`, { cause, retriable: true });
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.rides.close(), this.fares.close()]);
  }
}
