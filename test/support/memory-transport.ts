// A transport that keeps what it is sent, for replay tests that need no broker.
import type { OutgoingEvent, Transport } from '../../generator/index.js';

export class MemoryTransport implements Transport {
  readonly description = 'memory';
  readonly events: OutgoingEvent[] = [];
  async send(batch: OutgoingEvent[]) {
    this.events.push(...batch);
  }
  async close() {}
}
