// Where the events go: Kafka (the local broker, or the Event Hubs Kafka endpoint over SASL_SSL
// with user $ConnectionString) or Event Hubs over AMQP. Both take batches and report failures
// as errors naming the address, never the secret.
import { Worker } from 'node:worker_threads';
import { compatibilityPartitioner, Producer, stringSerializers } from '@platformatic/kafka';
import { InfrastructureError, UserError } from '../common/errors.js';
import type { OutgoingEvent } from './records.js';

export interface Topics {
  rideTopic: string;
  fareTopic: string;
}

export interface Transport {
  /** Where events go, for messages (never includes a secret). */
  readonly description: string;
  send(batch: OutgoingEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** `Endpoint=sb://ns.servicebus.windows.net/;...` → `ns.servicebus.windows.net:9093`. */
export function eventHubsKafkaEndpoint(connectionString: string): string {
  const match = /Endpoint=sb:\/\/([^/;]+)\/?/i.exec(connectionString);
  if (!match) throw new UserError('TIPSTREAM_CONFIG', 'the Event Hubs connection string has no Endpoint=sb://<namespace>.servicebus.windows.net/');
  return `${match[1]}:9093`;
}

export interface KafkaTransportOptions extends Topics {
  bootstrapServers: string;
  /** An Event Hubs namespace connection string: SASL_SSL / PLAIN / $ConnectionString. */
  connectionString?: string;
}

export class KafkaTransport implements Transport {
  readonly description: string;
  private readonly producer: Producer<string, string, string, string>;

  constructor(private readonly options: KafkaTransportOptions) {
    const secure = options.connectionString !== undefined;
    this.description = `Kafka at ${options.bootstrapServers}${secure ? ' (SASL_SSL, PLAIN)' : ''}`;
    this.producer = new Producer({
      clientId: 'tipstream-generator',
      bootstrapBrokers: options.bootstrapServers.split(','),
      serializers: stringSerializers,
      // Idempotent: this client was seen to write a batch twice when a request partly failed on
      // a new topic; the broker drops such repeats only for an idempotent producer.
      idempotent: true,
      // Java's murmur2 partitioner, so keys land where any Java Kafka client would put them.
      partitioner: compatibilityPartitioner,
      ...(secure
        ? {
            tls: {},
            sasl: { mechanism: 'PLAIN' as const, username: '$ConnectionString', password: options.connectionString },
            // Event Hubs closes idle connections after 240 s and suggests shorter metadata ages.
            metadataMaxAge: 180_000,
            requestTimeout: 60_000,
          }
        : {}),
    });
  }

  async send(batch: OutgoingEvent[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      await this.producer.send({
        messages: batch.map((e) => ({ topic: e.stream === 'ride' ? this.options.rideTopic : this.options.fareTopic, key: e.key, value: e.value })),
      });
    } catch (cause) {
      throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `sending ${batch.length} events to ${this.description} failed`, { cause, retriable: true });
    }
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}

/**
 * KafkaTransport in a worker thread: the same client and settings, with its CPU work off the main
 * thread. Up to `maxInFlight` batches are handed over at once; a worker sends them in order.
 */
export class WorkerKafkaTransport implements Transport {
  readonly description: string;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private readonly inFlight: Array<Promise<void>> = [];
  private nextId = 0;

  constructor(options: KafkaTransportOptions, private readonly maxInFlight = 3) {
    this.description = `Kafka at ${options.bootstrapServers}${options.connectionString ? ' (SASL_SSL, PLAIN)' : ''}`;
    // The worker runs the TypeScript source through tsx, like the CLI does.
    this.worker = new Worker(new URL('./kafka-worker-entry.js', import.meta.url), { workerData: options });
    this.worker.on('message', (message: { id?: number; error?: string }) => {
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new InfrastructureError('TIPSTREAM_UNREACHABLE', message.error, { retriable: true }));
      else waiter?.resolve();
    });
    this.worker.on('error', (err) => {
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
    });
  }

  async send(batch: OutgoingEvent[]): Promise<void> {
    if (batch.length === 0) return;
    while (this.inFlight.length >= this.maxInFlight) await this.inFlight.shift();
    const id = this.nextId++;
    const streams = new Uint8Array(batch.length);
    const keys: string[] = new Array(batch.length);
    const values: string[] = new Array(batch.length);
    batch.forEach((e, i) => {
      streams[i] = e.stream === 'ride' ? 0 : 1;
      keys[i] = e.key;
      values[i] = e.value;
    });
    const done = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.worker.postMessage({ id, streams, keys, values }, [streams.buffer]);
    this.inFlight.push(done);
    // Sent means handed over; close() waits for every batch to be acknowledged by Kafka.
    done.catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.inFlight.splice(0));
    await new Promise<void>((resolve) => {
      this.worker.once('message', () => resolve());
      this.worker.postMessage('close');
    });
    await this.worker.terminate();
  }
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
      for (const e of batch) if (e.stream === stream) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e.value]);
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
