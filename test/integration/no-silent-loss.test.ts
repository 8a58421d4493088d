// No silent loss in an unbounded job: every good ride and fare the job reads is counted in a
// window or is in the dead-letter topic with its reason ('late for join', 'no fare in the join
// interval', 'late for window', ...), and Flink's metrics count the same. Each case replays real
// trips of the sample into fresh topics in a way that makes records late or lonely, then moves
// event time on with heartbeats (as live mode does) so that every window closes and the join lets
// go of what it still holds; then, exactly:
//   good rides sent = trips in the windows + unjoined rides + trips late for their window
//   good fares sent = trips in the windows + unjoined fares + trips late for their window
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { defaultInputs, events, FaultInjector, Heartbeat, KafkaTransport, newInputReport, type OutgoingEvent } from '../../generator/index.js';
import { javaCompatiblePartitioner } from '../../generator/java-partitioner.js';
import { ensureTopics, FlinkRestClient } from '../../clients/index.js';
import { collectJobMetrics, deployJob, type JobMetrics } from '../../orchestrator/index.js';
import { startUdfService } from '../../udf-service/index.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';
import { flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';

const base = loadConfig();
const PARTITIONS = 4;
const TRIPS = 1500;
let service: Awaited<ReturnType<typeof startUdfService>>;
const cleanUp: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  service = await startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, port: 0 });
});
afterAll(async () => {
  for (const step of cleanUp.reverse()) await step().catch(() => undefined);
  await service?.close();
}, 120_000);

interface Case {
  faresLeadMs?: number;
  /** Applied to every event, in order (late copies, malformed records). */
  faults?: FaultInjector;
  /** Trips sent in two halves with this pause between them (longer than the job's idle timeout). */
  idleMs?: number;
  /** No trip goes to this partition of either topic. */
  silentPartition?: number;
}

/** The sample's first trips, as the generator would send them for the case. */
async function eventsFor(c: Case): Promise<OutgoingEvent[]> {
  const out: OutgoingEvent[] = [];
  const source = events({ format: 'debs', input: defaultInputs.debs, faresLeadMs: c.faresLeadMs ?? 0, bufferCapacity: 20_000, maxTrips: TRIPS }, newInputReport());
  for await (const event of source) {
    if (c.silentPartition !== undefined && javaCompatiblePartitioner(undefined, Buffer.from(event.key)) % PARTITIONS === c.silentPartition) continue;
    out.push(...(c.faults ? c.faults.apply(event) : [event]));
  }
  return out;
}

interface Outcome {
  metrics: JobMetrics;
  windowTrips: number;
  deadLetters: Map<string, number>;
}

async function run(name: string, c: Case) {
  const topics = { rideTopic: uniqueName(`${name}-rides`), fareTopic: uniqueName(`${name}-fares`), deadLetterTopic: uniqueName(`${name}-dead`), statsTopic: uniqueName(`${name}-stats`) };
  cleanUp.push(() => deleteTopics(base.kafka.bootstrapServers, Object.values(topics)));
  const config = loadConfig({
    overrides: {
      stateDir: await mkdtemp(join(tmpdir(), 'tipstream-loss-')),
      kafka: { ...topics, partitions: PARTITIONS },
      job: {
        udfLookupUrl: `${service.url}/lookup`,
        windowSize: '1 minute',
        rideWatermarkDelay: '30 s',
        fareWatermarkDelay: '30 s',
        idleTimeout: '5 s',
        checkpointInterval: '1 s',
        consumerGroup: uniqueName(`${name}-job`),
      },
    },
  });
  await ensureTopics(kafkaTopicOptions(config), Object.values(topics));
  const { jobId } = await deployJob(config, { bounded: false, topics, jobName: `no-silent-loss-${name}` }, createProgress(false));
  const flink = new FlinkRestClient(flinkRestOptions(config));
  cleanUp.push(() => flink.cancel(jobId));

  const all = await eventsFor(c);
  // Good records: all but the malformed ones the injector added (it counts them exactly).
  const sent = {
    rides: all.filter((e) => e.stream === 'ride').length - (c.faults?.counts.malformedRides ?? 0),
    fares: all.filter((e) => e.stream === 'fare').length - (c.faults?.counts.malformedFares ?? 0),
  };
  const transport = new KafkaTransport({ bootstrapServers: config.kafka.bootstrapServers, rideTopic: topics.rideTopic, fareTopic: topics.fareTopic, client: 'javascript' });
  // At an hour past the sample's first trips: past every window and delay, and a jump the job's
  // bad-clock guard accepts (the wall clock, 13 years on, would be refused as implausible).
  const heartbeat = new Heartbeat({ bootstrapServers: config.kafka.bootstrapServers, rideTopic: topics.rideTopic, fareTopic: topics.fareTopic, clock: () => Date.parse('2013-01-01T02:00:00Z'), intervalMs: 500 });
  try {
    const halves = c.idleMs ? [all.slice(0, all.length / 2), all.slice(all.length / 2)] : [all];
    for (const [i, part] of halves.entries()) {
      if (i > 0) await delay(c.idleMs!);
      for (let at = 0; at < part.length; at += 500) await transport.send(part.slice(at, at + 500));
    }
    await transport.flush?.();
    // Event time moves on past every trip: every window closes, the join lets go of what it holds.
    heartbeat.start();
    const outcome = await settle(flink, jobId, sent, topics);
    return { sent, ...outcome };
  } finally {
    await heartbeat.stop();
    await transport.close();
    // Its slots are for the next case.
    await flink.cancel(jobId).catch(() => undefined);
    await flink.waitForState(jobId, ['CANCELED', 'FAILED', 'FINISHED'], 60_000).catch(() => undefined);
  }
}

/** Waits until the job has accounted for everything sent (or a deadline), then reads the windows and dead letters. */
async function settle(flink: FlinkRestClient, jobId: string, sent: { rides: number; fares: number }, topics: { deadLetterTopic: string; statsTopic: string }): Promise<Outcome> {
  const deadline = Date.now() + 120_000;
  let metrics = await collectJobMetrics(flink, jobId);
  let windowTrips = 0;
  for (;;) {
    metrics = await collectJobMetrics(flink, jobId);
    const { tripsJoined, unjoinedRides, unjoinedFares, lateTrips } = metrics;
    const joinDone = tripsJoined !== null && unjoinedRides !== null && unjoinedFares !== null && lateTrips !== null
      && tripsJoined + unjoinedRides >= sent.rides && tripsJoined + unjoinedFares >= sent.fares;
    if (joinDone) {
      const stats = await readMessages(base.kafka.bootstrapServers, topics.statsTopic, Number.MAX_SAFE_INTEGER, 3_000);
      windowTrips = stats.reduce((n, m) => n + (JSON.parse(m.value) as { rideCount: number }).rideCount, 0);
      if (windowTrips >= tripsJoined! - lateTrips!) break;
    }
    if (Date.now() > deadline) break;
    await delay(1_000);
  }
  // Nothing more comes: a count that overshoots would show here.
  await delay(3_000);
  metrics = await collectJobMetrics(flink, jobId);
  const stats = await readMessages(base.kafka.bootstrapServers, topics.statsTopic, Number.MAX_SAFE_INTEGER, 3_000);
  windowTrips = stats.reduce((n, m) => n + (JSON.parse(m.value) as { rideCount: number }).rideCount, 0);
  const dead = await readMessages(base.kafka.bootstrapServers, topics.deadLetterTopic, Number.MAX_SAFE_INTEGER, 3_000);
  const deadLetters = new Map<string, number>();
  for (const m of dead) {
    const { stream, reason } = JSON.parse(m.value) as { stream: string; reason: string };
    const key = `${stream}: ${reason}`;
    deadLetters.set(key, (deadLetters.get(key) ?? 0) + 1);
  }
  return { metrics, windowTrips, deadLetters };
}

function count(deadLetters: Map<string, number>, match: (key: string) => boolean): number {
  return [...deadLetters].filter(([key]) => match(key)).reduce((n, [, v]) => n + v, 0);
}

/** The exact accounting, from the topics and from the metrics alike. */
function expectNothingLost(name: string, result: Awaited<ReturnType<typeof run>>): void {
  const { sent, metrics, windowTrips, deadLetters } = result;
  const unjoinedRides = count(deadLetters, (k) => k === 'ride: late for join' || k === 'ride: no fare met in the join');
  const unjoinedFares = count(deadLetters, (k) => k === 'fare: late for join' || k === 'fare: no ride met in the join');
  const lateForWindow = count(deadLetters, (k) => k === 'ride: late for window');
  process.stderr.write(
    `${name}: sent ${sent.rides} good rides, ${sent.fares} good fares; ${windowTrips} trips in windows; dead letters ${JSON.stringify(Object.fromEntries(deadLetters))}; Flink counted ${JSON.stringify({ tripsJoined: metrics.tripsJoined, unjoinedRides: metrics.unjoinedRides, unjoinedFares: metrics.unjoinedFares, lateTrips: metrics.lateTrips, lateRecordsDropped: metrics.lateRecordsDropped })}\n`,
  );
  expect(windowTrips + unjoinedRides + lateForWindow).toBe(sent.rides);
  expect(windowTrips + unjoinedFares + lateForWindow).toBe(sent.fares);
  // The metrics count what the topic holds.
  expect(metrics).toMatchObject({ unjoinedRides, unjoinedFares, lateTrips: lateForWindow, tripsJoined: windowTrips + lateForWindow, lateRecordsDropped: 0 });
}

it('accounts for every trip when input goes idle, then comes back in a burst', async () => {
  const result = await run('idle-burst', { idleMs: 12_000 });
  expectNothingLost('idle then burst', result);
}, 240_000);

it('accounts for every trip when fares run 10 minutes ahead of their rides', async () => {
  const result = await run('fares-ahead', { faresLeadMs: 600_000 });
  expectNothingLost('fares 10 min ahead', result);
}, 240_000);

it('accounts for every trip when rides run 10 minutes ahead of their fares', async () => {
  const result = await run('rides-ahead', { faresLeadMs: -600_000 });
  expectNothingLost('rides 10 min ahead', result);
}, 240_000);

it('accounts for every trip when one partition of both topics stays silent', async () => {
  const result = await run('silent-partition', { silentPartition: 0 });
  expectNothingLost('one partition silent', result);
  expect(result.windowTrips).toBeGreaterThan(0);
}, 240_000);

it('accounts for every trip with late copies (--late-rate) and malformed records injected', async () => {
  const faults = new FaultInjector({ malformedRate: 0.01, lateRate: 0.02, duplicateRate: 0, seed: 7 });
  const result = await run('late-rate', { faults });
  expectNothingLost('late copies and malformed', result);
  expect(faults.counts.lateRides + faults.counts.lateFares).toBeGreaterThan(0);
  expect(result.metrics.malformedRides).toBe(faults.counts.malformedRides);
  expect(result.metrics.malformedFares).toBe(faults.counts.malformedFares);
  // A copy a day behind is late for the join, unless its partner's copy came too.
  expect(count(result.deadLetters, (k) => k.endsWith('late for join'))).toBeGreaterThan(0);
}, 240_000);
