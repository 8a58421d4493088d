// A transport whose sends resolve only once the broker has the events: what a send frontier
// (replay.ts) needs, since heartbeats held at it must never pass a trip still queued in a client.
import type { OutgoingEvent } from './records.js';
import type { Transport } from './transports.js';

/** The generator's transport with acknowledged sends: a client may resolve a send once queued, and the replay's frontier must count only what Kafka has. */
export class AcknowledgedTransport implements Transport {
  readonly description: string;
  constructor(private readonly inner: Transport) {
    this.description = inner.description;
  }

  async send(batch: OutgoingEvent[]): Promise<void> {
    await this.inner.send(batch);
    await this.inner.flush?.();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
