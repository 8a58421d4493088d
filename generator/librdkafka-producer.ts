// The generator's Kafka producer on librdkafka (@confluentinc/kafka-javascript): records are
// batched, encoded and sent by librdkafka's own threads, in C, where the JavaScript client spends
// most of a replay's CPU time. An optional dependency: when its native part is not installed, the
// generator uses the JavaScript client on a worker thread (transports.ts).
//
// A message handed to librdkafka is sent in the background; only failed deliveries are reported
// (a report per delivered message costs more than producing it). So `send` resolves once the
// batch is queued in librdkafka, a failed delivery fails the next `send` or `flush`, and `flush`
// resolves once every queued message was acknowledged.
import { createRequire } from 'node:module';
import { setTimeout as delay } from 'node:timers/promises';
import type { EncodedChunk } from './encoded-source.js';
import type { ThreadMessage } from './kafka-producer-thread.js';
import type { LibrdkafkaConnection } from '../clients/index.js';

// The part of @confluentinc/kafka-javascript's API used here, declared by hand: the module is
// optional, so the type check must pass where it is not installed.
type Callback = (error?: (Error & { code?: number }) | null) => void;

interface RdkafkaProducer {
  on(event: 'delivery-report', listener: (error: Error | null | undefined) => void): void;
  produce(topic: string, partition: null, value: Buffer, key: Buffer): void;
  flush(timeoutMs: number, callback: Callback): void;
  poll(): void;
  isConnected(): boolean;
  connect(options: { timeout: number }, callback: Callback): void;
  disconnect(timeoutMs: number, callback: Callback): void;
  setPollInterval(intervalMs: number): void;
}

export interface Librdkafka {
  Producer: new (settings: Record<string, string | number | boolean>) => RdkafkaProducer;
  /** What this build supports, e.g. `ssl`, `sasl_plain`. */
  features: string[];
  librdkafkaVersion: string;
}

let loaded: { module?: Librdkafka; problem?: string } | undefined;

/** The librdkafka binding, or why it cannot be used here. */
export function loadLibrdkafka(): { module?: Librdkafka; problem?: string } {
  if (!loaded) {
    try {
      loaded = { module: createRequire(import.meta.url)('@confluentinc/kafka-javascript') as Librdkafka };
    } catch (error) {
      loaded = { problem: `@confluentinc/kafka-javascript is not installed or its native part did not build (${(error as Error).message.split('\n')[0]})` };
    }
  }
  return loaded;
}

export type { LibrdkafkaConnection };

export interface LibrdkafkaOptions {
  clientId: string;
  /** How long a message may wait for its acknowledgement, retries included (message.timeout.ms). */
  deliveryTimeoutMs: number;
}

/** Whether this build of librdkafka can make the connection (SASL_SSL needs its TLS and SASL parts). */
export function librdkafkaSupports(module: Librdkafka, connection: LibrdkafkaConnection): boolean {
  return connection.sasl === undefined || (module.features.includes('ssl') && module.features.includes('sasl_plain'));
}

export class LibrdkafkaProducer {
  private readonly producer: RdkafkaProducer;
  private connected?: Promise<void>;
  private failure?: Error;
  private undelivered = 0;
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(
    module: Librdkafka,
    connection: LibrdkafkaConnection,
    private readonly options: LibrdkafkaOptions,
  ) {
    this.producer = new module.Producer({
      'client.id': options.clientId,
      'bootstrap.servers': connection.bootstrapServers,
      // Idempotent (acks=all, ordered retries, no duplicates), like the JavaScript client's producer.
      'enable.idempotence': true,
      // The Java client's default partitioner: a trip's ride and fare keys give the same partition
      // number in both topics, and the same as the JavaScript client would give.
      partitioner: 'murmur2_random',
      'linger.ms': 5,
      'message.timeout.ms': options.deliveryTimeoutMs,
      'queue.buffering.max.messages': 200_000,
      'delivery.report.only.error': true,
      dr_cb: true,
      ...(connection.sasl
        ? {
            'security.protocol': 'sasl_ssl',
            'sasl.mechanisms': 'PLAIN',
            'sasl.username': connection.sasl.username,
            'sasl.password': connection.sasl.password,
            ...(connection.caFile ? { 'ssl.ca.location': connection.caFile } : {}),
            // Event Hubs closes connections idle for 240 s and suggests shorter metadata ages.
            'metadata.max.age.ms': 180_000,
            'connections.max.idle.ms': 180_000,
            'socket.keepalive.enable': true,
            'request.timeout.ms': 60_000,
          }
        : {}),
    });
    this.producer.on('delivery-report', (error) => {
      if (!error) return;
      this.undelivered += 1;
      this.failure ??= new Error(error.message, { cause: error });
    });
  }

  /** Queues the messages in librdkafka, waiting while its queue is full; topics by stream. */
  async send(messages: readonly ThreadMessage[], topics: [string, string]): Promise<void> {
    await this.connect();
    this.throwIfFailed();
    // librdkafka copies each message: keys and values are encoded into one reused buffer and
    // handed over as views of it, which saves a buffer per message (and its garbage).
    for (let i = 0; i < messages.length; ) {
      const m = messages[i]!;
      const needed = (m.key.length + m.value.length) * 3;
      if (this.scratch.length < needed) this.scratch = Buffer.allocUnsafe(needed * 2);
      const keyEnd = this.scratch.write(m.key, 0);
      const valueEnd = keyEnd + this.scratch.write(m.value, keyEnd);
      if (this.tryProduce(m.stream === 'ride' ? topics[0] : topics[1], this.scratch.subarray(keyEnd, valueEnd), this.scratch.subarray(0, keyEnd))) i += 1;
      else await this.waitForRoom();
    }
  }

  /** Queues events already encoded (see encoded-source.ts); topics by stream. */
  async sendEncoded(chunk: EncodedChunk, topics: [string, string]): Promise<void> {
    await this.connect();
    this.throwIfFailed();
    const bytes = Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
    const { ends, streams } = chunk;
    let start = 0;
    for (let i = 0; i < chunk.count; ) {
      const keyEnd = ends[2 * i]!;
      const valueEnd = ends[2 * i + 1]!;
      if (this.tryProduce(topics[streams[i]!]!, bytes.subarray(keyEnd, valueEnd), bytes.subarray(start, keyEnd))) {
        start = valueEnd;
        i += 1;
      } else await this.waitForRoom();
    }
  }

  /** Hands one message to librdkafka; false when its queue is full. */
  private tryProduce(topic: string, value: Buffer, key: Buffer): boolean {
    try {
      this.producer.produce(topic, null, value, key);
      return true;
    } catch (error) {
      if ((error as { code?: number }).code !== QUEUE_FULL) throw error;
      return false;
    }
  }

  /** Waits for acknowledgements to make room in librdkafka's queue. */
  private async waitForRoom(): Promise<void> {
    await delay(1);
    this.throwIfFailed();
  }

  /** Resolves once every queued message was acknowledged; fails if one could not be delivered. */
  async flush(): Promise<void> {
    if (!this.connected) return;
    await this.connected;
    await new Promise<void>((resolve, reject) => {
      // Each message has deliveryTimeoutMs; the margin lets librdkafka report a timeout itself.
      this.producer.flush(this.options.deliveryTimeoutMs + 5_000, (error) => (error ? reject(error) : resolve()));
    });
    // Reports of failed deliveries are served by the poll interval: one more poll takes the last.
    this.producer.poll();
    this.throwIfFailed();
  }

  /** Sends what is queued (for at most `timeoutMs`) and disconnects. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (!this.connected) return;
    await this.connected.catch(() => undefined);
    if (!this.producer.isConnected()) return;
    await new Promise<void>((resolve) => this.producer.flush(timeoutMs, () => resolve()));
    await new Promise<void>((resolve) => this.producer.disconnect(timeoutMs, () => resolve()));
  }

  private connect(): Promise<void> {
    this.connected ??= new Promise<void>((resolve, reject) => {
      this.producer.connect({ timeout: 30_000 }, (error) => {
        if (error) return reject(error);
        // Serves the reports of failed deliveries.
        this.producer.setPollInterval(100);
        resolve();
      });
    });
    return this.connected;
  }

  private throwIfFailed(): void {
    if (!this.failure) return;
    throw new Error(`${this.undelivered} event(s) could not be delivered: ${this.failure.message}`, { cause: this.failure });
  }
}

/** librdkafka's RD_KAFKA_RESP_ERR__QUEUE_FULL. */
const QUEUE_FULL = -184;
