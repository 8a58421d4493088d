// The replay for a transport that takes encoded chunks (read, formatted and injected on a worker
// thread) must send exactly what the ordinary replay sends and report exactly what it reports.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samples } from '../../support/data.js';
import { UserError } from '../../../common/errors.js';
import { createProgress } from '../../../common/progress.js';
import type { EncodedChunk } from '../../../generator/encoded-source.js';
import { replay, type OutgoingEvent, type Transport } from '../../../generator/index.js';
import type { FaultOptions } from '../../../generator/faults.js';
import type { SkippedRow, SourceOptions } from '../../../generator/sources.js';
import { MemoryTransport } from '../../support/memory-transport.js';


/** Takes chunks and decodes them back into events, as a Kafka client would send them. */
class EncodedMemoryTransport extends MemoryTransport {
  chunks = 0;
  async sendEncoded(chunk: EncodedChunk) {
    this.chunks += 1;
    const decoder = new TextDecoder();
    let start = 0;
    for (let i = 0; i < chunk.count; i++) {
      const keyEnd = chunk.ends[2 * i]!;
      const valueEnd = chunk.ends[2 * i + 1]!;
      this.events.push({
        stream: chunk.streams[i] === 0 ? 'ride' : 'fare',
        time: chunk.times[i]!,
        key: decoder.decode(chunk.bytes.subarray(start, keyEnd)),
        value: decoder.decode(chunk.bytes.subarray(keyEnd, valueEnd)),
      });
      start = valueEnd;
    }
  }
}

const debs = samples.debs;
const foil = samples.foil;

async function both(source: SourceOptions, faults: FaultOptions, batchSize = 500) {
  const run = async (transport: MemoryTransport) => {
    const skipped: SkippedRow[] = [];
    const summary = await replay({ source: { ...source, onSkipped: (row) => skipped.push(row) }, faults, pacing: { kind: 'fast' }, batchSize, rideTopic: 'r', fareTopic: 'f' }, transport, createProgress(false));
    const { durationSeconds, eventsPerSecond, ...rest } = summary;
    return { summary: rest, events: transport.events, skipped };
  };
  const encoded = new EncodedMemoryTransport();
  return { plain: await run(new MemoryTransport()), encoded: await run(encoded), chunks: encoded.chunks };
}

it('sends the same events, with every kind of fault, and reports the same counts', async () => {
  const faults = { malformedRate: 0.05, lateRate: 0.02, duplicateRate: 0.03, seed: 7 };
  for (const source of [
    { format: 'foil' as const, input: foil, faresLeadMs: 0, bufferCapacity: 10_000 },
    { format: 'debs' as const, input: debs, faresLeadMs: 120_000, bufferCapacity: 100_000 },
    { format: 'synthetic' as const, input: debs, faresLeadMs: 0, bufferCapacity: 100_000, trips: 15_000 },
  ]) {
    const { plain, encoded, chunks } = await both(source, faults);
    expect(chunks).toBeGreaterThan(source.format === 'foil' ? 0 : 10);
    expect(encoded.events.length).toBe(plain.events.length);
    expect(encoded.events).toEqual(plain.events);
    expect(encoded.summary).toEqual(plain.summary);
    expect(plain.summary.injected.malformedRides + plain.summary.injected.lateFares + plain.summary.injected.duplicateRides).toBeGreaterThan(0);
  }
}, 60_000);

it('reports skipped rows as it goes, and non-ASCII text byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tipstream-encoded-'));
  const ride = (m: string, t: string) => `${m},H,CMT,1,N,${t},${t},1,60,1.0,-73.98,40.75,-73.99,40.74`;
  const fare = (m: string, t: string) => `${m},H,CMT,${t},CSH,5,0.5,0.5,1,0,7`;
  const header = 'medallion,hack_license,vendor_id,x\n';
  writeFileSync(join(dir, 'trip_data_1.csv'), `${header}${ride('MÉDAILLON-ü', '2013-01-01 00:00:00')}\nbroken,row\n${ride('M2', '2013-01-01 00:01:00')}\nnot,a,ride\n`);
  writeFileSync(join(dir, 'trip_fare_1.csv'), `${header}${fare('MÉDAILLON-ü', '2013-01-01 00:00:00')}\n${fare('M2', '2013-01-01 00:01:00')}\n`);
  const { plain, encoded } = await both({ format: 'foil', input: dir, faresLeadMs: 0, bufferCapacity: 10 }, { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 }, 1);
  expect(plain.skipped).toHaveLength(2);
  expect(encoded.skipped).toEqual(plain.skipped);
  expect(encoded.summary).toEqual(plain.summary);
  expect(encoded.events.map((e) => e.key)).toContain('MÉDAILLON-ü_H_CMT');
  expect(encoded.events).toEqual(plain.events);
});

it('reports what it sent when interrupted, not what the reading thread had read ahead', async () => {
  const transport = new EncodedMemoryTransport();
  const abort = new AbortController();
  const stopping = Object.assign(Object.create(transport) as EncodedMemoryTransport, {
    sendEncoded: async (chunk: EncodedChunk) => {
      await transport.sendEncoded(chunk);
      if (transport.events.length >= 12_000) abort.abort();
    },
  });
  const summary = await replay(
    { source: { format: 'synthetic', input: debs, faresLeadMs: 0, bufferCapacity: 10, trips: 50_000 }, faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 }, pacing: { kind: 'fast' }, batchSize: 500, rideTopic: 'r', fareTopic: 'f', signal: abort.signal },
    stopping,
    createProgress(false),
  );
  expect(summary.interrupted).toBe(true);
  expect(summary.sent.total).toBe(transport.events.length);
  expect(summary.sent.total).toBe(12_000);
  expect(summary.sent.rides).toBe(transport.events.filter((e) => e.stream === 'ride').length);
  // The trips counted are those of the chunks sent (a trip's fare may wait for the next chunk).
  expect(summary.input.trips - summary.sent.rides).toBeGreaterThanOrEqual(0);
  expect(summary.input.trips - summary.sent.rides).toBeLessThanOrEqual(1);
});

it("fails with the reading thread's error, as the ordinary replay would", async () => {
  const missing = join(tmpdir(), 'no-such-trips.csv');
  const error = await replay(
    { source: { format: 'debs', input: missing, faresLeadMs: 0, bufferCapacity: 10 }, faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 }, pacing: { kind: 'fast' }, batchSize: 500, rideTopic: 'r', fareTopic: 'f' },
    new EncodedMemoryTransport(),
    createProgress(false),
  ).then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(UserError);
  expect(error).toMatchObject({ code: 'TIPSTREAM_CONFIG' });
  expect((error as Error).message).toContain(missing);
});
