// Savepoint upgrades on the real stack: an unbounded job reads half of the DEBS sample, is
// upgraded (stop with savepoint, new settings started from it), reads the rest, and its results
// equal the independent computation, as an uninterrupted run's do. An upgrade whose SQL drops a
// stateful operator is refused, and the previous job runs again from the savepoint.
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { samples } from '../support/data.js';
import { createProgress } from '../../common/progress.js';
import { defaultInputs, events, newInputReport, type OutgoingEvent } from '../../generator/index.js';
import { collectJobMetrics, deployJob, readDeployment, upgradeJob } from '../../orchestrator/index.js';
import { ensureTopics, FlinkRestClient } from '../../clients/index.js';
import { sqlDir } from '../../orchestrator/sql-template.js';
import { startTestUdfService, type TestUdfService } from '../support/udf.js';
import { expectedStats, expectSameStats, readDebs, type StatsRow } from '../support/expected-stats.js';
import { sendEvents, sentinel } from '../support/debs-halves.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';
import { flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';

const base = loadConfig();
let service: TestUdfService;
let jobToCancel: string | undefined;
const topics = { rideTopic: uniqueName('rides'), fareTopic: uniqueName('fares'), deadLetterTopic: uniqueName('dead-letter'), statsTopic: uniqueName('stats') };

beforeAll(async () => {
  service = await startTestUdfService(base);
});
afterAll(async () => {
  if (jobToCancel) await new FlinkRestClient(flinkRestOptions(base)).cancel(jobToCancel).catch(() => undefined);
  await service?.close();
  await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
});

/**
 * A job count once it has reached `wanted`, or its last value after 60 s: Flink reports it
 * unknown (null) until fetched from every subtask, and the join's count trails the sources'.
 */
async function settled(read: () => Promise<number | null>, wanted: number): Promise<number | null> {
  const deadline = Date.now() + 60_000;
  let value = await read();
  while (value !== wanted && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    value = await read();
  }
  return value;
}

const send = (batch: OutgoingEvent[]) => sendEvents(base.kafka.bootstrapServers, topics, batch);

it('upgrades from a savepoint without losing or doubling anything, and refuses a state-incompatible upgrade', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'tipstream-upgrade-'));
  const overrides = { stateDir, job: { udfLookupUrl: service.lookupUrl, windowSize: '1 minute', consumerGroup: uniqueName('upgrade'), idleTimeout: '10 s', checkpointInterval: '2 s' } };
  const config = loadConfig({ overrides });
  await ensureTopics(kafkaTopicOptions(config), Object.values(topics));

  // The sample in pickup-time order, as the generator sends it, split in two halves.
  const all: OutgoingEvent[] = [];
  for await (const event of events({ format: 'debs', input: defaultInputs.debs, faresLeadMs: 0, bufferCapacity: 100_000 }, newInputReport())) all.push(event);
  const half = Math.floor(all.length / 2);
  await send(all.slice(0, half));
  const firstHalfRides = all.slice(0, half).filter((e) => e.stream === 'ride').length;

  const first = await deployJob(config, { bounded: false, topics, jobName: 'upgrade-test' }, createProgress(false));
  jobToCancel = first.jobId;
  const flink = new FlinkRestClient(flinkRestOptions(config));
  const deadline = Date.now() + 120_000;
  while (((await collectJobMetrics(flink, first.jobId)).ridesRead ?? 0) < firstHalfRides && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));

  // The window operator's watermark (what `tipstream status` and the metrics report) is inside the first half's event time.
  const firstHalfTimes = all.slice(0, half).map((e) => e.time);
  let watermark: string | null = null;
  while ((watermark = (await collectJobMetrics(flink, first.jobId)).windowWatermark) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  expect(watermark).not.toBeNull();
  expect(Date.parse(watermark!)).toBeGreaterThan(Math.min(...firstHalfTimes));
  expect(Date.parse(watermark!)).toBeLessThanOrEqual(Math.max(...firstHalfTimes));
  // Every ride met its fare in the join, and nothing arrived behind the watermark (a trip dropped
  // there would be missing from the results). A 2 s idle timeout failed the first on a cold stack:
  // one source went idle while still starting, the other's watermark ran ahead, and the join
  // silently dropped most of the late starter's trips.
  expect(await settled(() => collectJobMetrics(flink, first.jobId).then((m) => m.tripsJoined), firstHalfRides)).toBe(firstHalfRides);
  expect(await settled(() => collectJobMetrics(flink, first.jobId).then((m) => m.lateRecordsDropped), 0)).toBe(0);

  // A compatible change: a longer udf-service timeout.
  const upgradedConfig = loadConfig({ overrides: { ...overrides, job: { ...overrides.job, udfRequestTimeoutSeconds: 12 } } });
  const upgraded = await upgradeJob(upgradedConfig, {}, createProgress(false));
  jobToCancel = upgraded.deployment.jobId;
  expect(upgraded.previous.jobId).toBe(first.jobId);
  expect(upgraded.deployment.restoredFrom).toBe(upgraded.savepoint);
  expect((await flink.job(first.jobId)).state).toBe('FINISHED');

  await send([...all.slice(half), ...sentinel()]);
  const expected = expectedStats(readDebs(samples.debs), 60_000, service.index);
  const stats = (await readMessages(config.kafka.bootstrapServers, topics.statsTopic, expected.length, 120_000, 8_000)).map((m) => JSON.parse(m.value) as StatsRow);
  expect(await settled(() => collectJobMetrics(flink, upgraded.deployment.jobId).then((m) => m.lateRecordsDropped), 0)).toBe(0);
  expectSameStats(stats, expected);

  // An incompatible change: the window aggregation (state) is gone from the new SQL.
  const changed = await mkdtemp(join(tmpdir(), 'tipstream-sql-'));
  await cp(sqlDir, changed, { recursive: true });
  const set = join(changed, '05-statement-set.sql');
  const text = await readFile(set, 'utf8');
  await writeFile(set, text.slice(0, text.indexOf('INSERT INTO neighborhood_stats')) + 'END;\n');
  await expect(upgradeJob(upgradedConfig, { sqlDir: changed }, createProgress(false))).rejects.toThrow(/upgrade refused: the new job is not state-compatible/);
  const restored = await readDeployment(upgradedConfig);
  jobToCancel = restored!.jobId;
  expect(restored!.jobId).not.toBe(upgraded.deployment.jobId);
  expect((await flink.job(restored!.jobId)).state).toBe('RUNNING');
});
