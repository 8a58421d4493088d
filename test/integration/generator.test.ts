// A FOIL replay into the real local Kafka: both topics get every event, each ride lands in the
// same partition number as its fare, and what is read back parses to the contract.
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { samples } from '../support/data.js';
import { createProgress } from '../../common/progress.js';
import { defaultInputs, events, KafkaTransport, newInputReport, replay, type SourceOptions } from '../../generator/index.js';
import { loadLibrdkafka } from '../../generator/librdkafka-producer.js';
import { testedKafkaClients } from '../support/kafka-clients.js';
import { javaCompatiblePartitioner } from '../../generator/transports.js';
import { ensureTopics } from '../../clients/index.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';
import { freePort } from '../support/free-port.js';
import { kafkaTopicOptions } from '../../common/client-options.js';

const config = loadConfig();
const bootstrap = config.kafka.bootstrapServers;
const noFaults = { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 };

/** A replay as fast as possible, without faults, into the transport's topics. */
function replayFast(source: SourceOptions, batchSize: number, transport: KafkaTransport, topics: { rideTopic: string; fareTopic: string }) {
  return replay({ source, faults: noFaults, pacing: { kind: 'fast' }, batchSize, ...topics }, transport, createProgress(false));
}


it('replays the FOIL samples into two topics of several partitions, each ride beside its fare', async () => {
  const rideTopic = uniqueName('gen-rides');
  const fareTopic = uniqueName('gen-fares');
  await ensureTopics({ ...kafkaTopicOptions(config), partitions: 3 }, [rideTopic, fareTopic]);
  const transport = new KafkaTransport({ bootstrapServers: bootstrap, rideTopic, fareTopic });
  try {
    const summary = await replayFast({ format: 'foil', input: samples.foil, faresLeadMs: 0, bufferCapacity: 10_000 }, 50, transport, { rideTopic, fareTopic });
    expect(summary.sent).toEqual({ rides: 108, fares: 108, total: 216 });

    const rides = await readMessages(bootstrap, rideTopic, 108);
    const fares = await readMessages(bootstrap, fareTopic, 108);
    expect(rides).toHaveLength(108);
    expect(fares).toHaveLength(108);
    expect(new Set(rides.map((r) => r.partition)).size).toBeGreaterThan(1);

    const farePartition = new Map(fares.map((f) => [f.key, f.partition]));
    for (const ride of rides) expect(farePartition.get(ride.key)).toBe(ride.partition);

    for (const ride of rides) {
      const value = JSON.parse(ride.value) as Record<string, unknown>;
      expect(Object.keys(value)).toEqual([
        'medallion', 'hackLicense', 'vendorId', 'pickupTime', 'dropoffTime', 'rateCode', 'storeAndForwardFlag',
        'passengerCount', 'tripTimeInSeconds', 'tripDistanceInMiles', 'pickupLon', 'pickupLat', 'dropoffLon', 'dropoffLat',
      ]);
      expect(value.pickupTime).toMatch(/^2013-0[12]-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(ride.key).toBe(`${value.medallion}_${value.hackLicense}_${value.vendorId}`);
    }
    for (const fare of fares) {
      const columns = fare.value.split(',');
      expect(columns).toHaveLength(11);
      expect(columns[3]).toMatch(/^2013-0[12]-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(fare.key).toBe(columns.slice(0, 3).join('_'));
    }
  } finally {
    await transport.close();
    await deleteTopics(bootstrap, [rideTopic, fareTopic]).catch(() => undefined);
  }
});

it('fails with the address when no broker answers, instead of retrying forever', async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await freePort();
  const transport = new KafkaTransport({ bootstrapServers: `127.0.0.1:${port}`, rideTopic: 'r', fareTopic: 'f' });
  try {
    await expect(transport.send([{ stream: 'ride', time: 0, key: 'k', value: '{}' }])).rejects.toThrow(
      `Kafka at 127.0.0.1:${port} does not answer metadata requests: is it up and reachable?`,
    );
  } finally {
    await transport.close().catch(() => undefined);
  }
}, 60_000);

// Both Kafka clients: librdkafka (the default where it is installed, as in CI) and the
// JavaScript client on a worker thread (the fallback).
const clients = testedKafkaClients();

it('uses librdkafka by default where it is installed', () => {
  const transport = new KafkaTransport({ bootstrapServers: bootstrap, rideTopic: 'r', fareTopic: 'f' });
  expect(transport.client).toBe(loadLibrdkafka().module ? 'librdkafka' : 'javascript');
  expect(transport.sendEncoded !== undefined).toBe(transport.client === 'librdkafka');
});

it.each(clients)('sends a batch far over the broker message limit, every event once (%s)', async (client) => {
  const rideTopic = uniqueName('gen-big-rides');
  const fareTopic = uniqueName('gen-big-fares');
  await ensureTopics(kafkaTopicOptions(config), [rideTopic, fareTopic]);
  const transport = new KafkaTransport({ bootstrapServers: bootstrap, rideTopic, fareTopic, client });
  try {
    // 12,000 trips in one send of 24,000 events, about 8 MB: refused as MESSAGE_TOO_LARGE unsliced.
    const summary = await replayFast({ format: 'synthetic', input: defaultInputs.synthetic, faresLeadMs: 0, bufferCapacity: 100_000, trips: 12_000 }, 30_000, transport, { rideTopic, fareTopic });
    expect(summary.sent).toEqual({ rides: 12_000, fares: 12_000, total: 24_000 });
    // Read until 2 s pass quietly after the 12,000th: a duplicate would show up as an extra.
    const rides = await readMessages(bootstrap, rideTopic, 12_000, 60_000, 2_000);
    expect(rides.length).toBe(12_000);
    const fares = await readMessages(bootstrap, fareTopic, 12_000, 60_000, 2_000);
    expect(fares.length).toBe(12_000);
  } finally {
    await transport.close();
    await deleteTopics(bootstrap, [rideTopic, fareTopic]).catch(() => undefined);
  }
}, 120_000);

it.each(clients)('keeps every partition in the order events were given, with batches overlapping (%s)', async (client) => {
  const rideTopic = uniqueName('gen-order-rides');
  const fareTopic = uniqueName('gen-order-fares');
  await ensureTopics({ ...kafkaTopicOptions(config), partitions: 4 }, [rideTopic, fareTopic]);
  const transport = new KafkaTransport({ bootstrapServers: bootstrap, rideTopic, fareTopic, client });
  // The JavaScript client keeps several batches in flight; librdkafka queues them and sends on.
  if (client === 'javascript') expect(transport.maxInFlight).toBeGreaterThan(1);
  else expect(transport.sendEncoded).toBeDefined();
  const source = { format: 'synthetic' as const, input: defaultInputs.synthetic, faresLeadMs: 0, bufferCapacity: 100_000, trips: 20_000 };
  try {
    // 20,000 trips in batches of 500: 80 batches, several of them unacknowledged at once.
    const summary = await replayFast(source, 500, transport, { rideTopic, fareTopic });
    expect(summary.sent).toEqual({ rides: 20_000, fares: 20_000, total: 40_000 });

    // Where each event stood in the replay (trip times repeat, so time alone would hide a swap).
    const position = new Map<string, number>();
    for await (const event of events(source, newInputReport())) position.set(`${event.stream} ${event.value}`, position.size);
    expect(position.size).toBe(40_000);

    const rides = await readMessages(bootstrap, rideTopic, 20_000, 60_000, 2_000);
    const fares = await readMessages(bootstrap, fareTopic, 20_000, 60_000, 2_000);
    expect([rides.length, fares.length]).toEqual([20_000, 20_000]);
    const readBack = [...rides.map((m) => ({ ...m, stream: 'ride' })), ...fares.map((m) => ({ ...m, stream: 'fare' }))].map((m) => ({ ...m, at: position.get(`${m.stream} ${m.value}`) }));
    expect(new Set(readBack.map((m) => m.at)).size).toBe(40_000);

    // Each partition of each topic, read by offset, holds its events in replay order.
    const partitions = new Map<string, number[]>();
    for (const m of readBack.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0))) {
      const name = `${m.stream} ${m.partition}`;
      if (!partitions.has(name)) partitions.set(name, []);
      partitions.get(name)!.push(m.at!);
    }
    expect(partitions.size).toBe(8);
    const swaps = [...partitions.values()].reduce((n, at) => n + at.filter((p, i) => i > 0 && p < at[i - 1]!).length, 0);
    expect(swaps).toBe(0);
    const farePartition = new Map(fares.map((f) => [f.key, f.partition]));
    expect(rides.filter((r) => farePartition.get(r.key) !== r.partition)).toEqual([]);
    // Both clients place a key where Java's default partitioner would.
    const misplaced = readBack.filter((m) => m.partition !== javaCompatiblePartitioner(undefined, Buffer.from(m.key)) % 4);
    expect(misplaced).toEqual([]);
  } finally {
    await transport.close();
    await deleteTopics(bootstrap, [rideTopic, fareTopic]).catch(() => undefined);
  }
}, 180_000);
