// Records with a wrong clock (issue #20): dated 2099, 1970 or two years on, in every partition of
// both topics, before and in the middle of the real DEBS sample. None may move event time: the
// windows of the real trips in Cassandra must equal the independent computation exactly, and
// every bad record must be in the dead letters under its own reason, counted by its own metric.
// A record that is genuinely late, behind a watermark the real trips moved, stays 'late for join'.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { loadConfig, type ResolvedConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { defaultInputs, events, newInputReport, type OutgoingEvent } from '../../generator/index.js';
import { collectJobMetrics, deployJob, runRelay } from '../../orchestrator/index.js';
import { ensureTopics, FlinkRestClient, ResultsTable } from '../../clients/index.js';
import { cassandraOptions, flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';
import { startUdfService } from '../../udf-service/index.js';
import { samples } from '../support/data.js';
import { sendEvents } from '../support/debs-halves.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';
import { expectedStats, expectSameStats, readDebs } from '../support/expected-stats.js';

const base = loadConfig();
const bootstrap = base.kafka.bootstrapServers;
const topics = { rideTopic: uniqueName('clock-rides'), fareTopic: uniqueName('clock-fares'), deadLetterTopic: uniqueName('clock-dead'), statsTopic: uniqueName('clock-stats') };
const keyspace = `clocks_${uniqueName('k').slice(2).replace(/-/g, '')}`;
let service: Awaited<ReturnType<typeof startUdfService>>;

beforeAll(async () => {
  service = await startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, port: 0 });
});
afterAll(async () => {
  await service?.close();
  await deleteTopics(bootstrap, Object.values(topics)).catch(() => undefined);
  const client = new cassandra.Client({ contactPoints: base.cassandra.contactPoints, localDataCenter: base.cassandra.localDataCenter, protocolOptions: { port: base.cassandra.port } });
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown();
});

const AHEAD_OF_CLOCK = 'implausible event time: more than 1 h ahead of the clock';
const BEFORE_EARLIEST = 'implausible event time: before 2000-01-01T00:00:00Z';
const JUMP = "implausible event time: more than 365 d ahead of its partition's time";

/** A well-formed ride and fare of a cab of its own, at `iso` (yyyy-MM-ddTHH:mm:ss). */
function trip(key: string, iso: string, spoil: { ride?: boolean; fare?: boolean } = {}): { ride: OutgoingEvent; fare: OutgoingEvent } {
  const [medallion, hackLicense, vendorId] = key.split('_');
  const ride = {
    medallion, hackLicense, vendorId, pickupTime: `${iso}Z`, dropoffTime: `${iso}Z`, rateCode: 1, storeAndForwardFlag: 'N', passengerCount: 1,
    tripTimeInSeconds: 60, tripDistanceInMiles: spoil.ride ? 'x' : 1.5, pickupLon: -73.98, pickupLat: 40.76, dropoffLon: -73.97, dropoffLat: 40.75,
  };
  const fare = `${medallion},${hackLicense},${vendorId},${iso.replace('T', ' ')},CSH,${spoil.fare ? 'x' : '7'},0.5,0.5,2,0,10`;
  return { ride: { stream: 'ride', time: 0, key, value: JSON.stringify(ride) }, fare: { stream: 'fare', time: 0, key, value: fare } };
}

interface Expected {
  events: OutgoingEvent[];
  /** Payload → reason, for every record that must end in the dead letters. */
  reasons: Map<string, string>;
}

function hostile(keys: string[], phase: 'before' | 'middle'): Expected {
  const out: Expected = { events: [], reasons: new Map() };
  const add = (event: OutgoingEvent, reason: string) => {
    out.events.push(event);
    out.reasons.set(event.value, reason);
  };
  // The two phases' records differ by a second, so that each payload names one record.
  const second = phase === 'before' ? '00' : '01';
  for (const key of keys) {
    const future = trip(key, `2099-06-01T00:00:${second}`);
    add(future.ride, AHEAD_OF_CLOCK);
    add(future.fare, AHEAD_OF_CLOCK);
    const epoch = trip(key, `1970-01-01T00:01:${second}`);
    add(epoch.ride, BEFORE_EARLIEST);
    add(epoch.fare, BEFORE_EARLIEST);
    if (phase === 'before') {
      // Two years ahead and malformed: refused as malformed, and it moves nothing either.
      add(trip(key, '2015-01-01T00:30:00', { ride: true }).ride, 'ride tripDistanceInMiles is not a number');
    } else {
      const jump = trip(key, '2015-01-01T00:30:00');
      add(jump.ride, JUMP);
      add(jump.fare, JUMP);
      add(trip(key, '2015-01-01T00:31:00', { fare: true }).fare, 'fare fareAmount is not a number');
    }
  }
  return out;
}

it('keeps every window of the real trips exact with records dated 2099, 1970 and two years on in every partition, each dead-lettered with its reason', async () => {
  const config: ResolvedConfig = loadConfig({
    overrides: {
      stateDir: mkdtempSync(join(tmpdir(), 'tipstream-clocks-')),
      kafka: topics,
      cassandra: { keyspace },
      relay: { consumerGroup: uniqueName('clock-relay') },
      job: { udfLookupUrl: `${service.url}/lookup`, windowSize: '1 minute', consumerGroup: uniqueName('clock-job') },
    },
  });
  await ensureTopics(kafkaTopicOptions(config), Object.values(topics));

  const real: OutgoingEvent[] = [];
  for await (const event of events({ format: 'debs', input: defaultInputs.debs, faresLeadMs: 0, bufferCapacity: 100_000 }, newInputReport())) real.push(event);
  const half = Math.floor(real.length / 2);
  // Eight cabs of their own: their keys spread over all four partitions (checked below).
  const keys = Array.from({ length: 8 }, (_, i) => `HOSTILE${i}_CLOCK${i}_VTS`);
  const before = hostile(keys, 'before');
  const middle = hostile(keys, 'middle');
  // Genuinely late: a trip of the first minute sent after the whole sample, behind the watermark
  // the real trips moved (to about 00:53).
  const late = trip('LATE_LATE_VTS', '2013-01-01T00:01:00');
  await sendEvents(bootstrap, topics, before.events);
  await sendEvents(bootstrap, topics, real.slice(0, half));
  await sendEvents(bootstrap, topics, middle.events);
  await sendEvents(bootstrap, topics, [...real.slice(half), late.ride, late.fare]);
  const reasons = new Map([...before.reasons, ...middle.reasons]);

  const deployment = await deployJob(config, { bounded: true, topics, jobName: 'bad-clocks-test' }, createProgress(false));
  const flink = new FlinkRestClient(flinkRestOptions(config));
  await flink.waitForState(deployment.jobId, ['FINISHED'], 300_000);

  const expected = expectedStats(readDebs(samples.debs), 60_000, service.index);
  expect((await runRelay(config, { stopWhenIdleMs: 3000 })).written).toBe(expected.length);
  const table = await ResultsTable.open(cassandraOptions(config), { createSchema: false });
  try {
    const isoSeconds = (t: string) => new Date(t).toISOString().replace('.000Z', 'Z');
    expectSameStats((await table.read()).map((r) => ({ ...r, windowStart: isoSeconds(r.windowStart), windowEnd: isoSeconds(r.windowEnd) })), expected);
  } finally {
    await table.close();
  }

  // Every bad record is a dead letter under its own reason, and nothing else is.
  const all = (await readMessages(bootstrap, topics.deadLetterTopic, reasons.size + 2, 60_000, 5_000)).map(
    (m) => JSON.parse(m.value) as { payload: string | null; stream: 'ride' | 'fare'; reason: string; sourcePartition: number; sourceOffset: number },
  );
  expect(all).toHaveLength(reasons.size + 2);
  // The late trip stays what it was before the guard: a ride read behind its stream's watermark
  // is 'late for join'. Its fare may be read before the fare source's watermark (emitted every
  // 200 ms) has passed it; its ride then never meets it: 'no ride met in the join'. The join's
  // dead letters carry no payload, only where their record is: it must be the late trip's.
  const sent = [...before.events, ...real, ...middle.events, late.ride, late.fare];
  const sources = {
    ride: await readMessages(bootstrap, topics.rideTopic, sent.filter((e) => e.stream === 'ride').length),
    fare: await readMessages(bootstrap, topics.fareTopic, sent.filter((e) => e.stream === 'fare').length),
  };
  const pointedAt = (d: (typeof all)[number]) => sources[d.stream].find((m) => m.partition === d.sourcePartition && Number(m.offset) === d.sourceOffset)?.value;
  const lateOnes = all.filter((d) => d.payload === null);
  expect(lateOnes.map(pointedAt).sort()).toEqual(expect.arrayContaining([late.ride.value]));
  for (const d of lateOnes) expect([late.ride.value, late.fare.value]).toContain(pointedAt(d));
  expect(lateOnes.map((d) => d.reason).sort()).toEqual(expect.arrayContaining(['late for join']));
  for (const d of lateOnes) expect(d.reason).toMatch(/^(late for join|no ride met in the join)$/);
  const deadLetters = all.filter((d) => !lateOnes.includes(d));
  expect(new Map(deadLetters.map((d) => [d.payload, d.reason]))).toEqual(reasons);
  expect(deadLetters).toHaveLength(reasons.size);
  expect(new Set(deadLetters.filter((d) => d.reason === AHEAD_OF_CLOCK).map((d) => d.sourcePartition))).toEqual(new Set([0, 1, 2, 3]));

  const count = (reason: string, stream: 'ride' | 'fare') => [...reasons].filter(([payload, r]) => r === reason && (stream === 'ride') === payload.startsWith('{')).length;
  const implausible = (stream: 'ride' | 'fare') => count(AHEAD_OF_CLOCK, stream) + count(BEFORE_EARLIEST, stream) + count(JUMP, stream);
  const metrics = await collectJobMetrics(flink, deployment.jobId);
  expect({ rides: metrics.implausibleRides, fares: metrics.implausibleFares, malformedRides: metrics.malformedRides, malformedFares: metrics.malformedFares }).toEqual({
    rides: implausible('ride'),
    fares: implausible('fare'),
    malformedRides: 8,
    malformedFares: 8,
  });
  expect(implausible('ride')).toBe(8 * 5);
}, 420_000);
