import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { readText, samples } from '../../support/data.js';
import { createProgress } from '../../../common/progress.js';
import { EventHubsTransport, replay, SendFrontier, type EventHubsBatch, type EventHubsProducer, type OutgoingEvent, type Transport } from '../../../generator/index.js';
import { FaultInjector, malformFare, malformRide, fareMalformedKinds, rideMalformedKinds } from '../../../generator/faults.js';
import { ReorderBuffer } from '../../../generator/reorder-buffer.js';
import { parseFoilFare } from '../../../generator/parsers.js';
import { MemoryTransport } from '../../support/memory-transport.js';


const noFaults = { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 };
const debs = samples.debs;

async function run(source: Parameters<typeof replay>[0]['source'], faults = noFaults) {
  const transport = new MemoryTransport();
  const summary = await replay({ source, faults, pacing: { kind: 'fast' }, batchSize: 500, rideTopic: 'r', fareTopic: 'f' }, transport, createProgress(false));
  return { summary, events: transport.events };
}

const isSorted = (events: OutgoingEvent[]) => events.every((e, i) => i === 0 || events[i - 1]!.time <= e.time);

describe('replay order', () => {
  it('sends the unordered FOIL samples in pickup-time order, every ride and fare once', async () => {
    const { summary, events } = await run({ format: 'foil', input: samples.foil, faresLeadMs: 0, bufferCapacity: 10_000 });
    expect(summary.input.trips).toBe(108);
    expect(summary.sent).toEqual({ rides: 108, fares: 108, total: 216 });
    expect(isSorted(events)).toBe(true);
    expect(summary.input.outOfOrder).toBe(0);
  });

  it('re-sorts the DEBS file (sorted by drop-off) by pickup time', async () => {
    const { events } = await run({ format: 'debs', input: debs, faresLeadMs: 0, bufferCapacity: 100_000 });
    expect(events).toHaveLength(20_008);
    expect(isSorted(events)).toBe(true);
  });

  it('reads every DEBS file of a folder, by name, and names an empty folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'debs-'));
    const rows = readText(debs).split('\n');
    writeFileSync(join(dir, 'b.csv'), `${rows.slice(100, 150).join('\n')}\n`);
    writeFileSync(join(dir, 'c.csv.gz'), gzipSync(`${rows.slice(150, 175).join('\n')}\n`));
    writeFileSync(join(dir, 'a.zip'), zipSync({ 'a.csv': new TextEncoder().encode(`${rows.slice(0, 100).join('\n')}\n`) }));
    writeFileSync(join(dir, 'notes.txt'), 'not trips');
    const { summary } = await run({ format: 'debs', input: dir, faresLeadMs: 0, bufferCapacity: 1_000 });
    expect(summary.input.files.map((f) => f.split('/').pop())).toEqual(['a.zip', 'b.csv', 'c.csv.gz']);
    expect(summary.sent).toEqual({ rides: 175, fares: 175, total: 350 });
    const empty = mkdtempSync(join(tmpdir(), 'debs-empty-'));
    await expect(run({ format: 'debs', input: empty, faresLeadMs: 0, bufferCapacity: 1_000 })).rejects.toThrow(/no \.csv \(or \.csv\.gz or \.zip\) file in .*debs-empty-/);
  });

  it('names a damaged .gz file', async () => {
    const damaged = join(mkdtempSync(join(tmpdir(), 'debs-gz-')), 'trips.csv.gz');
    writeFileSync(damaged, 'not gzip at all');
    await expect(run({ format: 'debs', input: damaged, faresLeadMs: 0, bufferCapacity: 10 })).rejects.toThrow(`${damaged} is not a readable gzip file`);
  });

  it('names a missing input as a configuration error', async () => {
    const missing = join(tmpdir(), 'tipstream-no-such-trips.csv.gz');
    await expect(run({ format: 'debs', input: missing, faresLeadMs: 0, bufferCapacity: 10 })).rejects.toMatchObject({ code: 'TIPSTREAM_CONFIG', message: `input ${missing} does not exist` });
  });

  it('sends fares ahead of their rides with --fares-lead', async () => {
    const { events } = await run({ format: 'debs', input: debs, faresLeadMs: 5 * 60_000, bufferCapacity: 100_000, maxTrips: 100 });
    const firstRide = events.findIndex((e) => e.stream === 'ride');
    const key = events[firstRide]!.key;
    expect(events.findIndex((e) => e.stream === 'fare' && e.key === key)).toBeLessThan(firstRide);
  });

  it('merges a large input through a bounded buffer, counting what it could not order', () => {
    const buffer = new ReorderBuffer(2);
    const out = [5, 1, 4, 3, 2, 9, 0].flatMap((time) => buffer.push({ stream: 'ride', time, key: String(time), value: '' }));
    out.push(...buffer.drain());
    // Capacity 2: 5 and 1 wait; 4 pushes out 1, 3 pushes out 3, 2 out 2, 9 out 4, 0 out 0 (late).
    expect(out.map((e) => e.time)).toEqual([1, 3, 2, 4, 0, 5, 9]);
    expect(buffer.outOfOrder).toBeGreaterThan(0);
    const big = new ReorderBuffer(100);
    const sorted = [5, 1, 4, 3, 2].flatMap((time) => big.push({ stream: 'ride', time, key: '', value: '' })).concat(big.drain());
    expect(sorted.map((e) => e.time)).toEqual([1, 2, 3, 4, 5]);
    expect(big.outOfOrder).toBe(0);
  });
});

describe('batches in flight', () => {
  /** Acknowledges each batch only when told to, and records how many were unacknowledged at once. */
  class SlowTransport implements Transport {
    readonly description = 'slow';
    readonly batches: OutgoingEvent[][] = [];
    readonly acks: Array<(error?: Error) => void> = [];
    mostInFlight = 0;
    private open = 0;
    constructor(readonly maxInFlight: number) {}
    send(batch: OutgoingEvent[]) {
      this.batches.push(batch);
      this.open += 1;
      this.mostInFlight = Math.max(this.mostInFlight, this.open);
      return new Promise<void>((resolve, reject) => {
        this.acks.push((error) => {
          this.open -= 1;
          if (error) reject(error);
          else resolve();
        });
      });
    }
    async close() {}
  }

  const source = { format: 'debs' as const, input: debs, faresLeadMs: 0, bufferCapacity: 10_000, maxTrips: 1000 };
  const options = { source, faults: noFaults, pacing: { kind: 'fast' as const }, batchSize: 100, rideTopic: 'r', fareTopic: 'f' };

  /** Acknowledges batches in the order they were sent, whenever one is waiting, until `done`. */
  async function acknowledging(transport: SlowTransport, done: Promise<unknown>, failAt = -1) {
    let finished = false;
    void done.finally(() => (finished = true)).catch(() => undefined);
    let acked = 0;
    while (!finished) {
      if (acked < transport.acks.length) {
        transport.acks[acked]!(acked === failAt ? new Error('broker said no') : undefined);
        acked += 1;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it("sends up to the transport's limit before the first acknowledgement, in order, and counts only acknowledged events", async () => {
    const transport = new SlowTransport(3);
    const running = replay(options, transport, createProgress(false));
    await acknowledging(transport, running);
    const summary = await running;
    expect(transport.mostInFlight).toBe(3);
    expect(summary.sent.total).toBe(2000);
    expect(isSorted(transport.batches.flat())).toBe(true);
  });

  it('keeps one batch in flight for a transport that does not say otherwise', async () => {
    const transport = new SlowTransport(1);
    const plain: Transport = { description: 'plain', send: (b) => transport.send(b), close: async () => {} };
    const running = replay(options, plain, createProgress(false));
    await acknowledging(transport, running);
    await running;
    expect(transport.mostInFlight).toBe(1);
  });

  it("keeps the send frontier at or behind every event not yet acknowledged or not yet sent, and moves it on with the acknowledgements", async () => {
    const transport = new SlowTransport(3);
    const frontier = new SendFrontier(0);
    const running = replay({ ...options, frontier }, transport, createProgress(false));
    // Before each acknowledgement: the frontier, and how many batches were acknowledged then.
    const seen: Array<{ safe: number; acked: number }> = [];
    let finished = false;
    void running.finally(() => (finished = true)).catch(() => undefined);
    let acked = 0;
    while (!finished) {
      if (acked < transport.acks.length) {
        // A broker that is away for a while: the frontier holds while nothing is acknowledged.
        if (acked === 5) for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
        seen.push({ safe: frontier.safeTime(), acked });
        transport.acks[acked]!();
        acked += 1;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await running;
    const batches = transport.batches;
    for (const { safe, acked: ackedThen } of seen) {
      // Everything from the first unacknowledged batch on (sent then or later) is not older than the frontier.
      const oldestLeft = Math.min(...batches.slice(ackedThen).flat().map((e) => e.time));
      expect(safe).toBeLessThanOrEqual(oldestLeft);
    }
    // It moved on as batches were acknowledged, and ends at the last event.
    expect(new Set(seen.map((s) => s.safe)).size).toBeGreaterThan(3);
    expect(frontier.safeTime()).toBe(Math.max(...batches.flat().map((e) => e.time)));
  });

  it('fails the replay when a batch that is not the oldest in flight fails', async () => {
    const transport = new SlowTransport(4);
    const running = replay(options, transport, createProgress(false));
    await acknowledging(transport, running, 2);
    await expect(running).rejects.toThrow('broker said no');
  });
});

describe('inputs', () => {
  it('reads zipped FOIL files with LF line ends and headers without spaces, in numeric order of N', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tipstream-foil-'));
    const ride = (m: string, t: string) => `${m},H,CMT,1,N,${t},${t},1,60,1.0,-73.98,40.75,-73.99,40.74`;
    const fare = (m: string, t: string) => `${m},H,CMT,${t},CSH,5,0.5,0.5,1,0,7`;
    const header = 'medallion,hack_license,vendor_id,x\n';
    const zip = (name: string, text: string) => writeFileSync(join(dir, `${name}.zip`), zipSync({ [`${name}.csv`]: new TextEncoder().encode(text) }));
    zip('trip_data_10', `${header}${ride('M10', '2013-10-01 00:00:00')}\n`);
    zip('trip_fare_10', `medallion, hack_license\n${fare('M10', '2013-10-01 00:00:00')}\n`);
    zip('trip_data_2', `${header}${ride('M2', '2013-02-01 00:00:00')}\nbroken,row\n`);
    zip('trip_fare_2', `${header}${fare('M2', '2013-02-01 00:00:00')}\n`);
    const { summary, events } = await run({ format: 'foil', input: dir, faresLeadMs: 0, bufferCapacity: 10 });
    expect(summary.input.files.map((f) => f.split('/').pop())).toEqual(['trip_data_2.zip', 'trip_fare_2.zip', 'trip_data_10.zip', 'trip_fare_10.zip']);
    expect(events.map((e) => `${e.stream}:${e.key}`)).toEqual(['ride:M2_H_CMT', 'fare:M2_H_CMT', 'ride:M10_H_CMT', 'fare:M10_H_CMT']);
    expect(summary.input.rowsSkipped).toBe(1);
    expect(summary.input.skipped[0]).toEqual({ file: join(dir, 'trip_data_2.zip'), line: 3, reason: 'expected 14 columns, found 2' });
  });

  it('scales a real file up into unique, joinable trips', async () => {
    const { summary, events } = await run({ format: 'synthetic', input: debs, faresLeadMs: 0, bufferCapacity: 10, trips: 25_000 });
    expect(summary.input.trips).toBe(25_000);
    expect(events).toHaveLength(50_000);
    expect(isSorted(events)).toBe(true);
    const rides = events.filter((e) => e.stream === 'ride').map((e) => `${e.key}@${e.time}`);
    const fares = new Set(events.filter((e) => e.stream === 'fare').map((e) => `${e.key}@${e.time}`));
    expect(new Set(rides).size).toBeGreaterThan(24_900); // the DEBS file itself repeats a few trips
    expect(rides.every((r) => fares.has(r))).toBe(true);
  });

  it('reports the trips an interrupted scale-up made, not the copies it finished', async () => {
    const transport = new MemoryTransport();
    const abort = new AbortController();
    // Interrupted after 12,000 events, inside the first copy of the 10,000-trip file: whole copies
    // alone would report no trip at all.
    const stopping: Transport = { description: 'memory', send: async (batch) => {
      await transport.send(batch);
      if (transport.events.length >= 12_000) abort.abort();
    }, close: async () => {} };
    const summary = await replay(
      { source: { format: 'synthetic', input: debs, faresLeadMs: 0, bufferCapacity: 10, trips: 50_000 }, faults: noFaults, pacing: { kind: 'fast' }, batchSize: 500, rideTopic: 'r', fareTopic: 'f', signal: abort.signal },
      stopping,
      createProgress(false),
    );
    expect(summary.interrupted).toBe(true);
    expect(summary.sent.rides).toBeGreaterThan(5_000);
    // The ride taken from the input when the interruption was seen is read but not sent.
    expect(summary.input.trips - summary.sent.rides).toBeGreaterThanOrEqual(0);
    expect(summary.input.trips - summary.sent.rides).toBeLessThanOrEqual(1);
  });
});

describe('fault injection', () => {
  it('adds malformed events of every kind without replacing good ones, and counts them exactly', async () => {
    const { summary, events } = await run({ format: 'debs', input: debs, faresLeadMs: 0, bufferCapacity: 100_000 }, { ...noFaults, malformedRate: 0.05, seed: 7 });
    const rides = events.filter((e) => e.stream === 'ride');
    const goodRides = rides.filter((e) => { try { return parseFoilRideFromJson(e.value); } catch { return false; } });
    expect(goodRides).toHaveLength(10_004);
    expect(rides.length - 10_004).toBe(summary.injected.malformedRides);
    const fares = events.filter((e) => e.stream === 'fare');
    expect(fares.length - 10_004).toBe(summary.injected.malformedFares);
    for (const kind of rideMalformedKinds) expect(summary.injected.malformed.ride[kind]).toBeGreaterThan(0);
    for (const kind of fareMalformedKinds) expect(summary.injected.malformed.fare[kind]).toBeGreaterThan(0);
    expect(summary.injected.malformedRides).toBe(Object.values(summary.injected.malformed.ride).reduce((a, b) => a + b, 0));
    expect(summary.injected.malformedRides / 10_004).toBeGreaterThan(0.03);
    expect(summary.injected.malformedRides / 10_004).toBeLessThan(0.07);
  });

  it('makes every malformed kind really unreadable by the contract', () => {
    const ride = { stream: 'ride' as const, time: 0, key: 'k', value: JSON.stringify({ medallion: 'M', hackLicense: 'H', vendorId: 'V', pickupTime: '2013-01-01T00:00:00Z', tripDistanceInMiles: 1 }) };
    for (const kind of rideMalformedKinds) expect(parseFoilRideFromJson(malformRide(ride, kind).value)).toBe(false);
    const fare = { stream: 'fare' as const, time: 0, key: 'k', value: 'M,H,V,2013-01-01 00:00:00,CSH,5,0.5,0.5,1,0,7' };
    expect(parseFoilFare(fare.value).ok).toBe(true);
    for (const kind of fareMalformedKinds) expect(parseFoilFare(malformFare(fare, kind).value).ok).toBe(false);
  });

  it('counts late and duplicate events exactly, and repeats with the same seed', () => {
    const make = () => new FaultInjector({ malformedRate: 0.1, lateRate: 0.1, duplicateRate: 0.1, seed: 3 });
    const a = make();
    const b = make();
    const event = { stream: 'fare' as const, time: Date.UTC(2013, 0, 2), key: 'k', value: 'M,H,V,2013-01-02 00:00:00,CSH,5,0.5,0.5,1,0,7' };
    let extra = 0;
    for (let i = 0; i < 1000; i++) {
      extra += a.apply(event).length - 1;
      b.apply(event);
    }
    const c = a.counts;
    expect(extra).toBe(c.malformedFares + c.lateFares + c.duplicateFares);
    expect(c).toEqual(b.counts);
    const late = a.apply(event).find((e) => e.value.includes('2013-01-01 00:00:00'));
    if (late) expect(late.time).toBe(Date.UTC(2013, 0, 1));
  });
});

describe('the Event Hubs transport, at the SDK boundary', () => {
  it('batches events by partition key into the ride and fare hubs', async () => {
    const sent: Array<{ hub: string; partitionKey: string; bodies: string[] }> = [];
    const producer = (hub: string, capacity: number): EventHubsProducer => ({
      async createBatch({ partitionKey }) {
        const bodies: string[] = [];
        const batch: EventHubsBatch & { bodies: string[]; partitionKey: string } = {
          bodies, partitionKey,
          tryAdd: ({ body }) => (bodies.length < capacity ? (bodies.push(body), true) : false),
          get count() { return bodies.length; },
        };
        return batch;
      },
      async sendBatch(batch) {
        const b = batch as EventHubsBatch & { bodies: string[]; partitionKey: string };
        sent.push({ hub, partitionKey: b.partitionKey, bodies: [...b.bodies] });
      },
      async close() {},
    });
    const transport = new EventHubsTransport(producer('rides', 2), producer('fares', 2), 'test');
    await transport.send([
      { stream: 'ride', time: 0, key: 'A', value: 'r1' },
      { stream: 'fare', time: 0, key: 'A', value: 'f1' },
      { stream: 'ride', time: 1, key: 'A', value: 'r2' },
      { stream: 'ride', time: 2, key: 'A', value: 'r3' },
      { stream: 'ride', time: 3, key: 'B', value: 'r4' },
    ]);
    expect(sent).toEqual([
      { hub: 'rides', partitionKey: 'A', bodies: ['r1', 'r2'] },
      { hub: 'rides', partitionKey: 'A', bodies: ['r3'] },
      { hub: 'rides', partitionKey: 'B', bodies: ['r4'] },
      { hub: 'fares', partitionKey: 'A', bodies: ['f1'] },
    ]);
  });
});

/** A ride message is good when it is JSON with the key fields, a time and a numeric distance. */
function parseFoilRideFromJson(value: string): boolean {
  let ride: Record<string, unknown>;
  try {
    ride = JSON.parse(value) as Record<string, unknown>;
  } catch {
    return false;
  }
  return typeof ride.medallion === 'string' && typeof ride.tripDistanceInMiles === 'number' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(String(ride.pickupTime));
}
