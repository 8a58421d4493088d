// The TypeScript side of kafka-producer-worker.js: starts the worker, hands it batches and turns
// its answers back into promises. Batches may overlap: the worker keeps each partition's order.
import { Worker } from 'node:worker_threads';
import { InfrastructureError } from '../common/errors.js';

export interface ThreadConnection {
  bootstrapBrokers: string[];
  tls?: { ca?: Buffer[] };
  sasl?: { mechanism: 'PLAIN'; username: string; password: string };
}

/** An event as the generator has it (an OutgoingEvent is one). */
export interface ThreadMessage {
  stream: 'ride' | 'fare';
  key: string;
  value: string;
}

/** Room counted for each record's own fields (lengths, offsets, timestamp) beside key and value. */
const RECORD_OVERHEAD_BYTES = 64;

/**
 * Consecutive ranges [from, to) of messages whose bytes, counted from `ends` (where each key
 * and each value ends, in one buffer), add up to at most `limit`; a larger message goes alone.
 */
export function requestRanges(ends: Uint32Array, limit: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const count = ends.length / 2;
  let from = 0;
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const end = ends[2 * i + 1]!;
    const size = end - start + RECORD_OVERHEAD_BYTES;
    if (i > from && bytes + size > limit) {
      ranges.push([from, i]);
      from = i;
      bytes = 0;
    }
    bytes += size;
    start = end;
  }
  if (count > from) ranges.push([from, count]);
  return ranges;
}

/** An error the worker reported: its message and code, and those of its causes. */
export interface WorkerError {
  message: string;
  code?: string;
  causes?: WorkerError[];
}

/**
 * A send the producer thread reported as failed. The Kafka client's own code (`PLT_KFK_…`) is
 * `kafkaCode`; like every failed send of the transport, it may go away by trying again.
 */
export class ProducerThreadError extends InfrastructureError {
  readonly kafkaCode?: string;
  readonly errors: ProducerThreadError[];
  constructor(reported: WorkerError) {
    super('TIPSTREAM_UNREACHABLE', reported.message, { retriable: true });
    this.kafkaCode = reported.code;
    this.errors = (reported.causes ?? []).map((inner) => new ProducerThreadError(inner));
  }
}

const encoder = new TextEncoder();

type Pending = { resolve: () => void; reject: (error: Error) => void };

export class KafkaProducerThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure?: Error;

  constructor(
    private readonly topics: [string, string],
    connection: ThreadConnection,
    options: Record<string, unknown>,
    lanes: number,
  ) {
    const { tls, ...rest } = connection;
    this.worker = new Worker(new URL('./kafka-producer-worker.js', import.meta.url), {
      // Collecting garbage was a fifth of this thread's time; a larger young generation than
      // a worker's default took a replay from about 175,000 to 205,000 events/s here.
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
      workerData: { connection: { ...rest, tls: tls ? { ca: tls.ca?.map((ca) => ca.toString('utf8')) } : undefined }, options, lanes },
    });
    this.worker.on('message', (answer: { id: number; error?: WorkerError }) => {
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (this.pending.size === 0) this.worker.unref();
      if (answer.error) waiting?.reject(new ProducerThreadError(answer.error));
      else waiting?.resolve();
    });
    // Only a request in flight keeps the process alive, as an idle socket would not.
    this.worker.unref();
    const fail = (error: Error) => {
      this.failure = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the Kafka producer thread exited (code ${code})`)));
  }

  /**
   * Sends the messages in requests of at most `maxRequestBytes` and resolves once the broker
   * acknowledged them all. Calls may overlap: each partition receives its messages in call order.
   */
  send(messages: readonly ThreadMessage[], maxRequestBytes: number): Promise<void> {
    // Keys and values travel as UTF-8 in transferred buffers, with where each one ends: the
    // worker then takes views instead of encoding, which leaves it more time for the protocol.
    const ends = new Uint32Array(messages.length * 2);
    let capacity = 0;
    for (const m of messages) capacity += (m.key.length + m.value.length) * 3;
    const bytes = new Uint8Array(capacity);
    let at = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      at += encoder.encodeInto(m.key, bytes.subarray(at)).written;
      ends[2 * i] = at;
      at += encoder.encodeInto(m.value, bytes.subarray(at)).written;
      ends[2 * i + 1] = at;
    }
    return Promise.all(
      requestRanges(ends, maxRequestBytes).map(([from, to]) => {
        const base = from === 0 ? 0 : ends[2 * from - 1]!;
        const part = bytes.slice(base, ends[2 * to - 1]);
        const streams = Uint8Array.from(messages.slice(from, to), (m) => (m.stream === 'ride' ? 0 : 1));
        return this.request({ type: 'send', topics: this.topics, streams, ends: ends.slice(2 * from, 2 * to).map((end) => end - base), bytes: part }, [part.buffer]);
      }),
    ).then(() => undefined);
  }

  /** Flushes and closes the producers; after `timeoutMs` (a broker gone away) stops the thread anyway. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.failure) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.request({ type: 'close' }).catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    await this.worker.terminate();
  }

  private request(body: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...body, id }, transfer);
    });
  }
}
