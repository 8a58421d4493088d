// Live mode in tests: a fresh pipeline (topics, keyspace, state folder), runs stopped as Ctrl-C
// stops them, and the check that every closed window equals an independent computation over
// what the generator put in the topics.
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import cassandra from 'cassandra-driver';
import { loadConfig } from '../../common/config.js';
import { HEARTBEAT_MEDALLION } from '../../generator/index.js';
import { ResultsTable } from '../../clients/index.js';
import { cassandraOptions } from '../../common/client-options.js';
import { runLive, type LiveSummary, type LiveView } from '../../cli/live/index.js';
import type { NeighborhoodIndex } from '../../udf-service/index.js';
import { expectedStats, expectSameStats, type Payment, type StatsRow, type Trip } from './expected-stats.js';
import { deleteTopics, readMessages, uniqueName } from './kafka.js';

const base = loadConfig();
const created: Array<{ topics: Record<string, string>; keyspace: string }> = [];

/** Drops what freshLiveConfig made. */
export async function cleanUpLive(): Promise<void> {
  const client = new cassandra.Client({ contactPoints: base.cassandra.contactPoints, localDataCenter: base.cassandra.localDataCenter, protocolOptions: { port: base.cassandra.port } });
  for (const { topics, keyspace } of created.splice(0)) {
    await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  }
  await client.shutdown();
}

/** Fresh topics, keyspace and state folder for one live pipeline. */
export async function freshLiveConfig(udfUrl: string) {
  const topics = { rideTopic: uniqueName('live-rides'), fareTopic: uniqueName('live-fares'), deadLetterTopic: uniqueName('live-dead'), statsTopic: uniqueName('live-stats') };
  const keyspace = `live_${uniqueName('k').slice(2).replace(/-/g, '')}`;
  created.push({ topics, keyspace });
  return loadConfig({
    overrides: {
      stateDir: await mkdtemp(join(tmpdir(), 'tipstream-live-')),
      kafka: topics,
      cassandra: { keyspace },
      job: { udfLookupUrl: `${udfUrl}/lookup`, windowSize: '1 minute', checkpointInterval: '2 s' },
    },
  });
}

/** Runs live mode until `stopWhen` resolves (a number: after that many seconds), then stops it as Ctrl-C does. */
export async function liveUntil(config: ReturnType<typeof loadConfig>, stopWhen: number | ((view: LiveView) => boolean)): Promise<LiveSummary> {
  const abort = new AbortController();
  const timer = typeof stopWhen === 'number' ? setTimeout(() => abort.abort(), stopWhen * 1000) : undefined;
  try {
    return await runLive(config, { speedup: 60, malformedRate: 0, signal: abort.signal, name: 'live-test', onView: (view) => typeof stopWhen === 'function' && stopWhen(view) && abort.abort() });
  } finally {
    clearTimeout(timer);
  }
}

export function stackStatus(): Array<{ service: string; pid?: number }> {
  const result = spawnSync(process.execPath, [resolve('bin/tipstream.js'), 'stack', 'status', '--json'], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(result.stdout) as Array<{ service: string; pid?: number }>;
}

const utcMs = (text: string) => Date.parse(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`);

/** Every window closed in Cassandra equals the independent computation over what the runs put in the topics. */
export async function expectExactWindows(config: ReturnType<typeof loadConfig>, runs: LiveSummary[], closedPast: number, index: NeighborhoodIndex): Promise<void> {
  const sentRides = runs.reduce((n, r) => n + r.generator.sent.rides, 0);
  const sentFares = runs.reduce((n, r) => n + r.generator.sent.fares, 0);
  const { rides, fares } = await sentTrips(config, sentRides, sentFares);
  expect(rides.length).toBe(sentRides);
  expect(fares.length).toBe(sentFares);
  const lastClosed = await expectClosedWindowsExact(config, rides, fares, index);
  // Every window up to the last one closed, which lies past the restart.
  expect(lastClosed).toBeGreaterThan(closedPast);
}

/**
 * The same, when the runs' own counts are unknown (a generator killed mid-batch): whatever the
 * topics hold, read until nothing more comes.
 */
export async function expectExactWindowsFromTopics(config: ReturnType<typeof loadConfig>, index: NeighborhoodIndex): Promise<void> {
  const { rides, fares } = await sentTrips(config, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 10_000);
  process.stderr.write(`the topics hold ${rides.length} rides and ${fares.length} fares (heartbeats aside)\n`);
  expect(rides.length).toBeGreaterThan(0);
  await expectClosedWindowsExact(config, rides, fares, index);
}

export async function dropKeyspace(config: ReturnType<typeof loadConfig>): Promise<void> {
  const client = new cassandra.Client({ contactPoints: config.cassandra.contactPoints, localDataCenter: config.cassandra.localDataCenter, protocolOptions: { port: config.cassandra.port } });
  await client.execute(`DROP KEYSPACE IF EXISTS ${config.cassandra.keyspace}`).catch(() => undefined);
  await client.shutdown();
}

/** Cabs whose clock is wrong, which the fault suite sends: the job dead-letters them, so the independent computation leaves them out. */
export const WRONG_CLOCK_MEDALLION = 'WRONG-CLOCK';

/** What the generators put in the topics, heartbeats (and the fault suite's wrong clocks) aside. */
async function sentTrips(config: ReturnType<typeof loadConfig>, rideCount: number, fareCount: number, quietMs = 2_000): Promise<{ rides: Trip[]; fares: Payment[] }> {
  const rideMessages = await readMessages(config.kafka.bootstrapServers, config.kafka.rideTopic, rideCount, 60_000, quietMs);
  const fareMessages = await readMessages(config.kafka.bootstrapServers, config.kafka.fareTopic, fareCount, 60_000, quietMs);
  const rides: Trip[] = rideMessages
    .map((m) => ({ key: m.key, ride: JSON.parse(m.value) as { medallion: string; pickupTime: string; pickupLon: number; pickupLat: number; tripDistanceInMiles: number } }))
    .filter(({ ride }) => ride.medallion !== HEARTBEAT_MEDALLION && !ride.medallion.startsWith(WRONG_CLOCK_MEDALLION))
    .map(({ key, ride }) => ({ key, pickupMs: utcMs(ride.pickupTime), pickupLon: ride.pickupLon, pickupLat: ride.pickupLat, miles: ride.tripDistanceInMiles }));
  const fares: Payment[] = fareMessages
    .filter((m) => !m.value.startsWith(`${HEARTBEAT_MEDALLION},`) && !m.value.startsWith(WRONG_CLOCK_MEDALLION))
    .map((m) => {
      const c = m.value.split(',');
      return { key: m.key, pickupMs: utcMs(c[3]!), fare: Number(c[5]), tip: Number(c[8]) };
    });
  return { rides, fares };
}

/** Cassandra's windows, up to the last one closed, equal the independent computation; returns that last window's end. */
async function expectClosedWindowsExact(config: ReturnType<typeof loadConfig>, rides: Trip[], fares: Payment[], index: NeighborhoodIndex): Promise<number> {
  const table = await ResultsTable.open(cassandraOptions(config), { createSchema: false });
  const stored = await table.read().finally(() => table.close());
  const iso = (text: string) => new Date(text).toISOString().replace('.000Z', 'Z');
  const actual: StatsRow[] = stored.map((r) => ({ ...r, windowStart: iso(r.windowStart), windowEnd: iso(r.windowEnd) }));
  const lastClosed = Math.max(...actual.map((r) => Date.parse(r.windowEnd)));
  const expected = expectedStats({ rides, fares }, 60_000, index).filter((r) => Date.parse(r.windowEnd) <= lastClosed);
  expect(new Set(expected.map((r) => r.windowEnd)).size).toBeGreaterThan(10);
  // Where they differ, in runs of windows: what a failure needs to be understood.
  const ridesBy = (rows: StatsRow[]) => rows.reduce((m, r) => m.set(r.windowEnd, (m.get(r.windowEnd) ?? 0) + r.rideCount), new Map<string, number>());
  const got = ridesBy(actual);
  const want = ridesBy(expected);
  const differing = [...want.keys()].sort().filter((end) => got.get(end) !== want.get(end));
  if (differing.length > 0) {
    process.stderr.write(`${differing.length} of ${want.size} windows differ, from ${differing[0]} to ${differing.at(-1)}; first ten: ${differing.slice(0, 10).map((end) => `${end.slice(11, 16)} ${got.get(end) ?? 0}/${want.get(end)}`).join(', ')}\n`);
  }
  expectSameStats(actual, expected);
  return lastClosed;
}
