// Fault injection for tests and demos: extra malformed events of several kinds, late events far
// behind the watermark, and duplicates. Injected events are added, never substituted, so the
// window results of a run do not change; every injection is counted by kind. Seeded: the same
// seed gives the same faults.
import type { OutgoingEvent, Stream } from './records.js';

export const rideMalformedKinds = ['broken-json', 'missing-field', 'bad-number', 'bad-time'] as const;
export const fareMalformedKinds = ['wrong-column-count', 'missing-field', 'bad-number', 'bad-time'] as const;
export type RideMalformedKind = (typeof rideMalformedKinds)[number];
export type FareMalformedKind = (typeof fareMalformedKinds)[number];

export interface FaultOptions {
  malformedRate: number;
  lateRate: number;
  duplicateRate: number;
  seed: number;
}

export interface InjectionCounts {
  malformed: { ride: Record<RideMalformedKind, number>; fare: Record<FareMalformedKind, number> };
  malformedRides: number;
  malformedFares: number;
  lateRides: number;
  lateFares: number;
  duplicateRides: number;
  duplicateFares: number;
}

/** How far behind its stream a late event is sent: far beyond any watermark delay. */
export const LATE_BY_MS = 24 * 3_600_000;

export function emptyCounts(): InjectionCounts {
  return {
    malformed: {
      ride: { 'broken-json': 0, 'missing-field': 0, 'bad-number': 0, 'bad-time': 0 },
      fare: { 'wrong-column-count': 0, 'missing-field': 0, 'bad-number': 0, 'bad-time': 0 },
    },
    malformedRides: 0,
    malformedFares: 0,
    lateRides: 0,
    lateFares: 0,
    duplicateRides: 0,
    duplicateFares: 0,
  };
}

/** mulberry32: a small, fast, seedable generator; fault injection needs repeatability, not secrecy. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function malformRide(event: OutgoingEvent, kind: RideMalformedKind): OutgoingEvent {
  const ride = JSON.parse(event.value) as Record<string, unknown>;
  let value: string;
  switch (kind) {
    case 'broken-json':
      value = event.value.slice(0, Math.max(1, Math.floor(event.value.length / 2)));
      break;
    case 'missing-field':
      delete ride.medallion;
      value = JSON.stringify(ride);
      break;
    case 'bad-number':
      value = JSON.stringify({ ...ride, tripDistanceInMiles: 'two point five' });
      break;
    case 'bad-time':
      value = JSON.stringify({ ...ride, pickupTime: 'yesterday evening' });
      break;
  }
  return { ...event, value };
}

export function malformFare(event: OutgoingEvent, kind: FareMalformedKind): OutgoingEvent {
  const columns = event.value.split(',');
  switch (kind) {
    case 'wrong-column-count':
      return { ...event, value: columns.slice(0, 9).join(',') };
    case 'missing-field':
      return { ...event, value: ['', ...columns.slice(1)].join(',') };
    case 'bad-number':
      columns[5] = 'ten dollars';
      return { ...event, value: columns.join(',') };
    case 'bad-time':
      columns[3] = '2013-13-45 99:99:99';
      return { ...event, value: columns.join(',') };
  }
}

/** Moves an event far behind its stream: its pickup time, in the payload, goes back a day. */
export function makeLate(event: OutgoingEvent): OutgoingEvent {
  if (event.stream === 'ride') {
    const ride = JSON.parse(event.value) as { pickupTime: string; dropoffTime: string };
    const back = (iso: string) => `${new Date(Date.parse(iso) - LATE_BY_MS).toISOString().slice(0, 19)}Z`;
    return { ...event, time: event.time - LATE_BY_MS, value: JSON.stringify({ ...ride, pickupTime: back(ride.pickupTime), dropoffTime: back(ride.dropoffTime) }) };
  }
  const columns = event.value.split(',');
  columns[3] = new Date(Date.parse(`${columns[3]!.replace(' ', 'T')}Z`) - LATE_BY_MS).toISOString().slice(0, 19).replace('T', ' ');
  return { ...event, time: event.time - LATE_BY_MS, value: columns.join(',') };
}

export class FaultInjector {
  readonly counts = emptyCounts();
  private readonly random: () => number;

  constructor(private readonly options: FaultOptions) {
    this.random = seededRandom(options.seed);
  }

  get active(): boolean {
    return this.options.malformedRate > 0 || this.options.lateRate > 0 || this.options.duplicateRate > 0;
  }

  /** The event itself, then whatever is injected after it. */
  apply(event: OutgoingEvent): OutgoingEvent[] {
    if (!this.active) return [event];
    const out = [event];
    const stream: Stream = event.stream;
    if (this.options.duplicateRate > 0 && this.random() < this.options.duplicateRate) {
      out.push(event);
      if (stream === 'ride') this.counts.duplicateRides += 1;
      else this.counts.duplicateFares += 1;
    }
    if (this.options.lateRate > 0 && this.random() < this.options.lateRate) {
      out.push(makeLate(event));
      if (stream === 'ride') this.counts.lateRides += 1;
      else this.counts.lateFares += 1;
    }
    if (this.options.malformedRate > 0 && this.random() < this.options.malformedRate) {
      if (stream === 'ride') {
        const kind = rideMalformedKinds[Math.floor(this.random() * rideMalformedKinds.length)]!;
        out.push(malformRide(event, kind));
        this.counts.malformed.ride[kind] += 1;
        this.counts.malformedRides += 1;
      } else {
        const kind = fareMalformedKinds[Math.floor(this.random() * fareMalformedKinds.length)]!;
        out.push(malformFare(event, kind));
        this.counts.malformed.fare[kind] += 1;
        this.counts.malformedFares += 1;
      }
    }
    return out;
  }
}
