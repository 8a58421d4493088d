// The Kafka transport's own parts. Its partitioner must put every key where the Kafka client's own Java-compatible
// partitioner (a direct port of Java's Utils.murmur2) puts it: that is what keeps a ride and its
// fare in the same partition number for any Java consumer, Flink included.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compatibilityPartitioner } from '@platformatic/kafka';
import { sharedDataDir } from '../../../common/config.js';
import { byteSlices, javaCompatiblePartitioner } from '../../../generator/transports.js';

// Both partitioners look at the key only.
const message = {} as Parameters<typeof compatibilityPartitioner>[0];

it('agrees with the client port of Java murmur2 on every trip key of the DEBS sample', () => {
  const rows = readFileSync(join(sharedDataDir, 'taxi', 'debs2015', 'sorted_data.first10k.csv'), 'utf8').split(/\r?\n/).filter(Boolean);
  const keys = rows.map((row) => {
    const [medallion, hackLicense] = row.split(',');
    return Buffer.from(`${medallion}_${hackLicense}_VTS`);
  });
  expect(keys.length).toBeGreaterThan(10_000);
  const differing = keys.filter((key) => javaCompatiblePartitioner(message, key) !== compatibilityPartitioner(message, key));
  expect(differing).toEqual([]);
  // The results spread: a partitioner returning a constant would agree nowhere else.
  expect(new Set(keys.map((key) => javaCompatiblePartitioner(message, key) % 4)).size).toBe(4);
});

it('agrees on every tail length, non-ASCII bytes, and the empty key', () => {
  const keys: Buffer[] = [];
  for (let length = 0; length <= 17; length++) keys.push(Buffer.from(Array.from({ length }, (_, i) => (i * 37 + length * 11) % 256)));
  keys.push(Buffer.from('médaillon_ü_1'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x80]));
  for (const key of keys) expect([key.toString('hex'), javaCompatiblePartitioner(message, key)]).toEqual([key.toString('hex'), compatibilityPartitioner(message, key)]);
  expect(javaCompatiblePartitioner(undefined, undefined)).toBe(0);
});

it('slices a batch by bytes, in order, each slice under the limit unless one event is larger', () => {
  const event = (i: number, size: number) => ({ stream: 'ride' as const, time: i, key: `k${i}`, value: 'x'.repeat(size) });
  const batch = Array.from({ length: 100 }, (_, i) => event(i, 1000 - 64 - `k${i}`.length));
  const slices = byteSlices(batch, 10_000);
  expect(slices.map((s) => s.length)).toEqual(Array(10).fill(10));
  expect(slices.flat()).toEqual(batch);
  // A single event over the limit travels alone rather than being dropped.
  const big = [event(0, 10), event(1, 50_000), event(2, 10)];
  expect(byteSlices(big, 10_000).map((s) => s.map((e) => e.time))).toEqual([[0], [1], [2]]);
  expect(byteSlices([], 10_000)).toEqual([]);
});
