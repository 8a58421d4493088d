// Orders events by time through a bounded min-heap: an input smaller than the buffer comes out
// fully sorted; a larger one is merged with bounded memory, and anything that arrives more than
// a buffer's worth out of order is emitted late and counted.
import type { OutgoingEvent } from './records.js';

export class ReorderBuffer {
  private readonly heap: Array<{ event: OutgoingEvent; seq: number }> = [];
  private seq = 0;
  private lastTime = -Infinity;
  /** Events that had to be emitted after a later one (the input was too disordered for the buffer). */
  outOfOrder = 0;

  constructor(private readonly capacity: number) {}

  /** Adds an event; returns the events that leave the buffer because it is full. */
  push(event: OutgoingEvent): OutgoingEvent[] {
    this.insert({ event, seq: this.seq++ });
    const out: OutgoingEvent[] = [];
    while (this.heap.length > this.capacity) out.push(this.pop());
    return out;
  }

  /** Everything left, in order. */
  drain(): OutgoingEvent[] {
    const out: OutgoingEvent[] = [];
    while (this.heap.length > 0) out.push(this.pop());
    return out;
  }

  get size(): number {
    return this.heap.length;
  }

  private pop(): OutgoingEvent {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    if (top.event.time < this.lastTime) this.outOfOrder += 1;
    else this.lastTime = top.event.time;
    return top.event;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    // Equal times keep input order, so a ride and its fare with the same time stay as read.
    return x.event.time < y.event.time || (x.event.time === y.event.time && x.seq < y.seq);
  }

  private insert(item: { event: OutgoingEvent; seq: number }): void {
    this.heap.push(item);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [this.heap[i], this.heap[parent]] = [this.heap[parent]!, this.heap[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < this.heap.length && this.less(l, smallest)) smallest = l;
      if (r < this.heap.length && this.less(r, smallest)) smallest = r;
      if (smallest === i) return;
      [this.heap[i], this.heap[smallest]] = [this.heap[smallest]!, this.heap[i]!];
      i = smallest;
    }
  }
}
