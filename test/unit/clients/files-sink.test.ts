import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesSink, resultFileName, windowResultColumns, type OpenedResultSink, type ResultBatch, type Retrying, type WindowResult } from '../../../clients/index.js';
import { readCsvWithPython } from '../../support/python-csv.js';

const once: Retrying = (write) => write();

function row(neighborhood: string, minute: number, overrides: Partial<WindowResult> = {}): WindowResult {
  const start = Date.UTC(2013, 0, 1, 0, minute);
  return {
    windowStart: new Date(start).toISOString(),
    windowEnd: new Date(start + 60_000).toISOString(),
    neighborhood,
    rideCount: 3,
    totalFareAmount: 31.5,
    totalTipAmount: 3.75,
    averageFareAmount: 10.5,
    averageTipAmount: 1.25,
    totalDistanceMiles: 6,
    averageTipPerMile: 0.625,
    ...overrides,
  };
}

const tricky = [
  row('SoHo', 0),
  row('Bedford-Stuyvesant, "Bed-Stuy"', 0, { totalDistanceMiles: 0, averageTipPerMile: null }),
  row('Line\r\nbreak', 1, { rideCount: 12, averageFareAmount: 0.1 + 0.2 }),
  row('Café Ñ', 2, { windowStart: '2013-01-01T00:02:00+00:00', windowEnd: '2013-01-01T00:03:00+00:00' }),
];

function batch(parts: Array<{ partition: number; firstOffset: bigint; rows: WindowResult[] }>): ResultBatch {
  return { topic: 'stats-topic', parts: parts.map((p) => ({ ...p, lastOffset: p.firstOffset + BigInt(p.rows.length) })) };
}

let dir: string;
let sink: OpenedResultSink;
beforeEach(async () => {
  dir = join(mkdtempSync(join(tmpdir(), 'tipstream-files-sink-')), 'results');
  sink = await new FilesSink({ dir }).open();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const csvFiles = () => readdirSync(dir).sort();

describe('the CSV files sink', () => {
  it("writes the rows with the table's column names, read back the same by Python's csv module", async () => {
    await sink.write(batch([{ partition: 0, firstOffset: 40n, rows: tricky }]), once);
    const name = resultFileName('stats-topic', { partition: 0, firstOffset: 40n });
    expect(csvFiles()).toEqual([name]);
    const file = readCsvWithPython([join(dir, name)])[join(dir, name)]!;
    expect(file.header).toEqual(['neighborhood', 'window_end', 'window_start', 'number_of_rides', 'total_fare_amount', 'total_tip_amount', 'average_fare_amount', 'average_tip_amount', 'total_distance_miles', 'average_tip_per_mile']);
    expect(file.widths).toEqual([10]);
    expect(file.rows.map((r) => r.neighborhood)).toEqual(tricky.map((r) => r.neighborhood));
    for (const [i, want] of tricky.entries()) {
      const got = file.rows[i]!;
      expect(got.window_start).toBe(new Date(want.windowStart).toISOString());
      expect(got.window_end).toBe(new Date(want.windowEnd).toISOString());
      expect(Number(got.number_of_rides)).toBe(want.rideCount);
      expect(Number(got.average_fare_amount)).toBe(want.averageFareAmount);
      expect(got.average_tip_per_mile).toBe(want.averageTipPerMile === null ? '' : String(want.averageTipPerMile));
    }
  });

  it('quotes as RFC 4180 says: CRLF line ends, quoted fields with doubled quotes, nothing else quoted', async () => {
    await sink.write(batch([{ partition: 0, firstOffset: 0n, rows: tricky.slice(0, 3) }]), once);
    const text = readFileSync(join(dir, csvFiles()[0]!), 'utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(Object.values(windowResultColumns).join(','));
    expect(lines[1]).toBe('SoHo,2013-01-01T00:01:00.000Z,2013-01-01T00:00:00.000Z,3,31.5,3.75,10.5,1.25,6,0.625');
    expect(lines[2]).toBe('"Bedford-Stuyvesant, ""Bed-Stuy""",2013-01-01T00:01:00.000Z,2013-01-01T00:00:00.000Z,3,31.5,3.75,10.5,1.25,0,');
    expect(lines[3]).toBe('"Line');
    expect(lines[4]).toMatch(/^break",2013-01-01T00:02:00\.000Z,/);
    expect(text.endsWith('\r\n')).toBe(true);
  });

  it('writes one file per partition of a batch, named by topic, partition and first offset', async () => {
    await sink.write(batch([{ partition: 3, firstOffset: 1200n, rows: tricky.slice(0, 2) }, { partition: 0, firstOffset: 7n, rows: tricky.slice(2) }]), once);
    expect(csvFiles()).toEqual(['stats-topic-p0-00000000000000000007.csv', 'stats-topic-p3-00000000000000001200.csv']);
  });

  it('replaces the file when the same batch is written again: one file, the same content', async () => {
    const same = batch([{ partition: 1, firstOffset: 500n, rows: tricky }]);
    await sink.write(same, once);
    const first = readFileSync(join(dir, csvFiles()[0]!));
    await sink.write(same, once);
    expect(csvFiles()).toHaveLength(1);
    expect(readFileSync(join(dir, csvFiles()[0]!))).toEqual(first);
  });

  it('replaces the file when a restarted relay reads more of the partition from the same offset: no row twice', async () => {
    await sink.write(batch([{ partition: 1, firstOffset: 500n, rows: tricky.slice(0, 2) }]), once);
    await sink.write(batch([{ partition: 1, firstOffset: 500n, rows: tricky }]), once);
    const files = csvFiles().map((name) => join(dir, name));
    expect(files).toHaveLength(1);
    expect(readCsvWithPython(files)[files[0]!]!.rows.map((r) => r.neighborhood)).toEqual(tricky.map((r) => r.neighborhood));
  });

  it('leaves no temporary file behind, and writes no file for a partition without results', async () => {
    await sink.write(batch([{ partition: 0, firstOffset: 0n, rows: [] }, { partition: 1, firstOffset: 0n, rows: tricky }]), once);
    expect(readdirSync(dir)).toEqual(['stats-topic-p1-00000000000000000000.csv']);
  });

  it('leaves nothing under the final name when the write fails, and calls a missing folder not retriable', async () => {
    rmSync(dir, { recursive: true });
    const error = await sink.write(batch([{ partition: 0, firstOffset: 0n, rows: tricky }]), once).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ENOENT' });
    expect(existsSync(dir)).toBe(false);
    expect(sink.retriable(error)).toBe(false);
    expect(sink.retriable(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }))).toBe(true);
  });

  it('makes its folder when it opens', () => {
    expect(existsSync(dir)).toBe(true);
  });
});
