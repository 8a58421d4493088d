// Live mode on the real stack: a run stopped (savepoint), then resumed from that savepoint. Every
// window closed in Cassandra equals an independent computation over what the generator actually
// put in the topics, across the restart: no window lost, none doubled, none partial.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { loadConfig } from '../../common/config.js';
import { HEARTBEAT_MEDALLION } from '../../generator/index.js';
import { readLiveState, ResultsTable, runLive, type LiveSummary } from '../../orchestrator/index.js';
import { startUdfService } from '../../udf-service/index.js';
import { expectedStats, expectSameStats, type Payment, type StatsRow, type Trip } from '../support/expected-stats.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';

const base = loadConfig();
const topics = { rideTopic: uniqueName('live-rides'), fareTopic: uniqueName('live-fares'), deadLetterTopic: uniqueName('live-dead'), statsTopic: uniqueName('live-stats') };
const keyspace = `live_${uniqueName('k').slice(2).replace(/-/g, '')}`;
let service: Awaited<ReturnType<typeof startUdfService>>;

beforeAll(async () => {
  service = await startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, port: 0 });
});
afterAll(async () => {
  await service?.close();
  await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
  const client = new cassandra.Client({ contactPoints: base.cassandra.contactPoints, localDataCenter: base.cassandra.localDataCenter, protocolOptions: { port: base.cassandra.port } });
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown();
});

/** Runs live mode until `seconds` have passed, then stops it as Ctrl-C does. */
async function liveFor(config: ReturnType<typeof loadConfig>, seconds: number): Promise<LiveSummary> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), seconds * 1000);
  try {
    return await runLive(config, { speedup: 60, malformedRate: 0, signal: abort.signal, name: 'live-test' });
  } finally {
    clearTimeout(timer);
  }
}

const utcMs = (text: string) => Date.parse(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`);

it('stops with a savepoint and resumes from it with no window lost or doubled', async () => {
  const config = loadConfig({
    overrides: {
      stateDir: await mkdtemp(join(tmpdir(), 'tipstream-live-')),
      kafka: topics,
      cassandra: { keyspace },
      job: { udfLookupUrl: `${service.url}/lookup`, windowSize: '1 minute', checkpointInterval: '2 s' },
    },
  });
  const first = await liveFor(config, 25);
  expect(await readLiveState(config, 'live-test')).toMatchObject({ savepoint: first.savepoint, jobId: first.jobId });
  const second = await liveFor(config, 25);
  expect(second.jobId).not.toBe(first.jobId);

  // What the generator put in the topics (heartbeats aside), joined and grouped independently.
  const sentRides = first.generator.sent.rides + second.generator.sent.rides;
  const sentFares = first.generator.sent.fares + second.generator.sent.fares;
  const rideMessages = await readMessages(config.kafka.bootstrapServers, topics.rideTopic, sentRides, 60_000, 2_000);
  const fareMessages = await readMessages(config.kafka.bootstrapServers, topics.fareTopic, sentFares, 60_000, 2_000);
  const rides: Trip[] = rideMessages
    .map((m) => ({ key: m.key, ride: JSON.parse(m.value) as { medallion: string; pickupTime: string; pickupLon: number; pickupLat: number; tripDistanceInMiles: number } }))
    .filter(({ ride }) => ride.medallion !== HEARTBEAT_MEDALLION)
    .map(({ key, ride }) => ({ key, pickupMs: utcMs(ride.pickupTime), pickupLon: ride.pickupLon, pickupLat: ride.pickupLat, miles: ride.tripDistanceInMiles }));
  const fares: Payment[] = fareMessages
    .filter((m) => !m.value.startsWith(`${HEARTBEAT_MEDALLION},`))
    .map((m) => {
      const c = m.value.split(',');
      return { key: m.key, pickupMs: utcMs(c[3]!), fare: Number(c[5]), tip: Number(c[8]) };
    });
  expect(rides.length).toBe(sentRides);
  expect(fares.length).toBe(sentFares);

  const table = await ResultsTable.open(config, { createSchema: false });
  const stored = await table.read().finally(() => table.close());
  const iso = (text: string) => new Date(text).toISOString().replace('.000Z', 'Z');
  const actual: StatsRow[] = stored.map((r) => ({ ...r, windowStart: iso(r.windowStart), windowEnd: iso(r.windowEnd) }));
  // Every window up to the last one closed: the restart lies inside that range.
  const lastClosed = Math.max(...actual.map((r) => Date.parse(r.windowEnd)));
  expect(lastClosed).toBeGreaterThan(first.clock + 60_000);
  const expected = expectedStats({ rides, fares }, 60_000, service.index).filter((r) => Date.parse(r.windowEnd) <= lastClosed);
  expect(new Set(expected.map((r) => r.windowEnd)).size).toBeGreaterThan(20);
  expectSameStats(actual, expected);
}, 300_000);
