// The Kafka transport's own parts. Its partitioner must put every key where the Kafka client's own Java-compatible
// partitioner (a direct port of Java's Utils.murmur2) puts it: that is what keeps a ride and its
// fare in the same partition number for any Java consumer, Flink included.
import { join } from 'node:path';
import { compatibilityPartitioner } from '@platformatic/kafka';
import { readText, samples } from '../../support/data.js';
import { ProducerThreadError, requestRanges } from '../../../generator/kafka-producer-thread.js';
import { librdkafkaSupports, loadLibrdkafka } from '../../../generator/librdkafka-producer.js';
import { javaCompatiblePartitioner, resolveKafkaClient } from '../../../generator/transports.js';

// Both partitioners look at the key only.
const message = {} as Parameters<typeof compatibilityPartitioner>[0];

it('agrees with the client port of Java murmur2 on every trip key of the DEBS sample', () => {
  const rows = readText(samples.debs).split(/\r?\n/).filter(Boolean);
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

it('cuts a batch into requests by bytes, in order, each under the limit unless one message is larger', () => {
  // Where each key and value ends: message i has a key of 4 bytes and a value of `sizes[i]`.
  const endsOf = (sizes: number[]) => {
    const ends = new Uint32Array(sizes.length * 2);
    let at = 0;
    sizes.forEach((size, i) => {
      ends[2 * i] = at += 4;
      ends[2 * i + 1] = at += size;
    });
    return ends;
  };
  // Each message counts 4 + 932 + 64 = 1,000 bytes: ten to a request of 10,000.
  expect(requestRanges(endsOf(Array(100).fill(932)), 10_000)).toEqual(Array.from({ length: 10 }, (_, i) => [i * 10, i * 10 + 10]));
  expect(requestRanges(endsOf(Array(100).fill(933)), 10_000)[0]).toEqual([0, 9]);
  // A single message over the limit travels alone rather than being dropped.
  expect(requestRanges(endsOf([10, 50_000, 10]), 10_000)).toEqual([[0, 1], [1, 2], [2, 3]]);
  expect(requestRanges(new Uint32Array(0), 10_000)).toEqual([]);
});

it('chooses the Kafka client: librdkafka only where it is installed and, for SASL_SSL, has TLS and SASL PLAIN', () => {
  const plain = { bootstrapServers: '127.0.0.1:9092' };
  const secure = { ...plain, sasl: { username: '$ConnectionString', password: 'secret' } };
  const build = (features: string[]) => ({ features }) as unknown as Parameters<typeof librdkafkaSupports>[0];
  expect(librdkafkaSupports(build(['gzip']), plain)).toBe(true);
  expect(librdkafkaSupports(build(['gzip', 'sasl_plain']), secure)).toBe(false);
  expect(librdkafkaSupports(build(['ssl', 'sasl_plain']), secure)).toBe(true);

  expect(resolveKafkaClient('javascript', plain)).toBe('javascript');
  const installed = loadLibrdkafka().module !== undefined;
  expect(resolveKafkaClient('auto', plain)).toBe(installed ? 'librdkafka' : 'javascript');
  if (!installed) expect(() => resolveKafkaClient('librdkafka', plain)).toThrow(/--kafka-client javascript/);
  else if (librdkafkaSupports(loadLibrdkafka().module!, secure)) expect(resolveKafkaClient('librdkafka', secure)).toBe('librdkafka');
  else expect(() => resolveKafkaClient('librdkafka', secure)).toThrow(/no TLS or SASL PLAIN/);
});

it("turns a producer thread's reported failure into a retriable error that keeps each Kafka code", () => {
  const error = new ProducerThreadError({ message: 'send failed', code: 'PLT_KFK_MULTIPLE', causes: [{ message: 'broker gone', code: 'PLT_KFK_NETWORK' }] });
  expect(error).toMatchObject({ name: 'ProducerThreadError', message: 'send failed', code: 'TIPSTREAM_UNREACHABLE', retriable: true, kafkaCode: 'PLT_KFK_MULTIPLE' });
  expect(error.errors.map((inner) => [inner.message, inner.kafkaCode])).toEqual([['broker gone', 'PLT_KFK_NETWORK']]);
});
