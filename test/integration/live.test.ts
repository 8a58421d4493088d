// Live mode on the real stack: a run stopped (savepoint), then resumed from that savepoint. Every
// window closed in Cassandra equals an independent computation over what the generator actually
// put in the topics, across the restart: no window lost, none doubled, none partial.
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import cassandra from 'cassandra-driver';
import { loadConfig } from '../../common/config.js';
import { HEARTBEAT_MEDALLION } from '../../generator/index.js';
import { readLiveState, ResultsTable, runLive, type LiveSummary, type LiveView } from '../../orchestrator/index.js';
import { startUdfService } from '../../udf-service/index.js';
import { expectedStats, expectSameStats, type Payment, type StatsRow, type Trip } from '../support/expected-stats.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';

const base = loadConfig();
const created: Array<{ topics: Record<string, string>; keyspace: string }> = [];
let service: Awaited<ReturnType<typeof startUdfService>>;

beforeAll(async () => {
  service = await startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, port: 0 });
});
afterAll(async () => {
  await service?.close();
  const client = new cassandra.Client({ contactPoints: base.cassandra.contactPoints, localDataCenter: base.cassandra.localDataCenter, protocolOptions: { port: base.cassandra.port } });
  for (const { topics, keyspace } of created) {
    await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  }
  await client.shutdown();
});

/** Fresh topics, keyspace and state folder for one live pipeline. */
async function freshLiveConfig() {
  const topics = { rideTopic: uniqueName('live-rides'), fareTopic: uniqueName('live-fares'), deadLetterTopic: uniqueName('live-dead'), statsTopic: uniqueName('live-stats') };
  const keyspace = `live_${uniqueName('k').slice(2).replace(/-/g, '')}`;
  created.push({ topics, keyspace });
  return loadConfig({
    overrides: {
      stateDir: await mkdtemp(join(tmpdir(), 'tipstream-live-')),
      kafka: topics,
      cassandra: { keyspace },
      job: { udfLookupUrl: `${service.url}/lookup`, windowSize: '1 minute', checkpointInterval: '2 s' },
    },
  });
}

/** Runs live mode until `stopWhen` resolves (a number: after that many seconds), then stops it as Ctrl-C does. */
async function liveUntil(config: ReturnType<typeof loadConfig>, stopWhen: number | ((view: LiveView) => boolean)): Promise<LiveSummary> {
  const abort = new AbortController();
  const timer = typeof stopWhen === 'number' ? setTimeout(() => abort.abort(), stopWhen * 1000) : undefined;
  try {
    return await runLive(config, { speedup: 60, malformedRate: 0, signal: abort.signal, name: 'live-test', onView: (view) => typeof stopWhen === 'function' && stopWhen(view) && abort.abort() });
  } finally {
    clearTimeout(timer);
  }
}

function stackStatus(): Array<{ service: string; pid?: number }> {
  const result = spawnSync(process.execPath, [resolve('bin/tipstream.js'), 'stack', 'status', '--json'], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(result.stdout) as Array<{ service: string; pid?: number }>;
}

const utcMs = (text: string) => Date.parse(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`);

it('stops with a savepoint and resumes from it with no window lost or doubled', async () => {
  const config = await freshLiveConfig();
  const first = await liveUntil(config, 25);
  expect(await readLiveState(config, 'live-test')).toMatchObject({ savepoint: first.savepoint, jobId: first.jobId });
  const second = await liveUntil(config, 25);
  expect(second.jobId).not.toBe(first.jobId);
  await expectExactWindows(config, [first, second], first.clock + 60_000);
}, 300_000);

it('resumes the live job from its latest checkpoint by itself when the JobManager is killed with -9', async () => {
  const config = await freshLiveConfig();
  let killed = false;
  let rowsAtRecovery: number | undefined;
  let killClock = 0;
  const run = await liveUntil(config, (view) => {
    // Once windows flow, kill the JobManager; once the job is back and writes windows again, stop.
    if (!killed && view.rowsWritten > 50) {
      const jobManager = stackStatus().find((s) => s.service === 'flink-jobmanager')!;
      process.kill(jobManager.pid!, 'SIGKILL');
      killed = true;
      killClock = view.clock;
    }
    if (killed && view.recoveries > 0 && rowsAtRecovery === undefined) rowsAtRecovery = view.rowsWritten;
    // The resumed job has written windows of its own.
    return rowsAtRecovery !== undefined && view.rowsWritten > rowsAtRecovery + 50;
  });
  expect(run.recoveries).toBe(1);
  await expectExactWindows(config, [run], killClock);
}, 420_000);

/** Every window closed in Cassandra equals the independent computation over what the runs put in the topics. */
async function expectExactWindows(config: ReturnType<typeof loadConfig>, runs: LiveSummary[], closedPast: number): Promise<void> {
  const topics = { rideTopic: config.kafka.rideTopic, fareTopic: config.kafka.fareTopic };
  // What the generator put in the topics (heartbeats aside), joined and grouped independently.
  const sentRides = runs.reduce((n, r) => n + r.generator.sent.rides, 0);
  const sentFares = runs.reduce((n, r) => n + r.generator.sent.fares, 0);
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
  // Every window up to the last one closed, which lies past the restart.
  const lastClosed = Math.max(...actual.map((r) => Date.parse(r.windowEnd)));
  expect(lastClosed).toBeGreaterThan(closedPast);
  const expected = expectedStats({ rides, fares }, 60_000, service.index).filter((r) => Date.parse(r.windowEnd) <= lastClosed);
  expect(new Set(expected.map((r) => r.windowEnd)).size).toBeGreaterThan(10);
  expectSameStats(actual, expected);
}

