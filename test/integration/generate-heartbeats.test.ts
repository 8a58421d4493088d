// `tipstream generate --heartbeats` closes every window of a replay in an unbounded job (issue 20):
// the DEBS sample, paced at 1,000 events/s, into a 1-minute job deployed without --bounded, the
// TaskManager killed with -9 mid-run (the stack's supervisor starts it again, the job resumes from
// its checkpoint). Nothing but the replay's own heartbeats moves event time past the last trip, yet
// within 30 s of the end of the input Cassandra holds exactly the independently computed rows: all
// 1,911 of them, none missing, none extra, no heartbeat counted as a trip.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import cassandra from 'cassandra-driver';
import { loadConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { pollUntil } from '../../common/retry.js';
import { closingHeartbeatTime } from '../../generator/index.js';
import { collectJobMetrics, deployJob, runRelay } from '../../orchestrator/index.js';
import { ensureTopics, FlinkRestClient, ResultsTable } from '../../clients/index.js';
import { cassandraOptions, flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';
import { startUdfService } from '../../udf-service/index.js';
import { samples } from '../support/data.js';
import { expectedStats, expectSameStats, readDebs, type StatsRow } from '../support/expected-stats.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';

const base = loadConfig();
const topics = { rideTopic: uniqueName('hb-rides'), fareTopic: uniqueName('hb-fares'), deadLetterTopic: uniqueName('hb-dead'), statsTopic: uniqueName('hb-stats') };
const keyspace = `hb_${uniqueName('k').slice(2).replace(/-/g, '')}`;
let service: Awaited<ReturnType<typeof startUdfService>>;
let jobId: string | undefined;
const relayAbort = new AbortController();
let relay: Promise<unknown> | undefined;

beforeAll(async () => {
  service = await startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, port: 0 });
});
afterAll(async () => {
  relayAbort.abort();
  await relay?.catch(() => undefined);
  if (jobId) await new FlinkRestClient(flinkRestOptions(base)).cancel(jobId).catch(() => undefined);
  await service?.close();
  await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
  const client = new cassandra.Client({ contactPoints: base.cassandra.contactPoints, localDataCenter: base.cassandra.localDataCenter, protocolOptions: { port: base.cassandra.port } });
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown();
}, 120_000);

interface ServiceStatus {
  service: string;
  pid?: number;
  state?: string;
  answers: boolean;
}

function taskManager(): ServiceStatus {
  const result = spawnSync(process.execPath, [resolve('bin/tipstream.js'), 'stack', 'status', '--json'], { encoding: 'utf8', timeout: 60_000 });
  return (JSON.parse(result.stdout) as ServiceStatus[]).find((s) => s.service === 'flink-taskmanager')!;
}

/** The table keeps timestamps with milliseconds; the computation writes them without. */
async function rowsInCassandra(config: ReturnType<typeof loadConfig>): Promise<StatsRow[]> {
  const table = await ResultsTable.open(cassandraOptions(config), { createSchema: false }).catch(() => undefined);
  if (!table) return [];
  const isoSeconds = (t: string) => new Date(t).toISOString().replace('.000Z', 'Z');
  try {
    return (await table.read()).map((r) => ({ ...r, windowStart: isoSeconds(r.windowStart), windowEnd: isoSeconds(r.windowEnd) }));
  } finally {
    await table.close();
  }
}

it('puts every window of a paced replay into Cassandra within 30 s of the end of the input, through a TaskManager killed with -9', async () => {
  const config = loadConfig({
    overrides: {
      stateDir: await mkdtemp(join(tmpdir(), 'tipstream-heartbeats-')),
      kafka: { ...topics, partitions: 4 },
      cassandra: { keyspace },
      relay: { consumerGroup: uniqueName('hb-relay') },
      // The job as `tipstream deploy --window "1 minute"` makes it (3-minute watermark delays, a
      // 10 s idle timeout), with checkpoints every 2 s so that results commit soon after a window fires.
      job: { udfLookupUrl: `${service.url}/lookup`, windowSize: '1 minute', checkpointInterval: '2 s', consumerGroup: uniqueName('hb-job') },
    },
  });
  const input = readDebs(samples.debs);
  const expected = expectedStats(input, 60_000, service.index);
  expect(expected).toHaveLength(1_911);
  const lastTrip = Math.max(...input.rides.map((r) => r.pickupMs));
  const closing = closingHeartbeatTime(lastTrip, { windowMs: 60_000, rideWatermarkDelayMs: 180_000, fareWatermarkDelayMs: 180_000 });

  await ensureTopics(kafkaTopicOptions(config), Object.values(topics));
  jobId = (await deployJob(config, { bounded: false, topics, jobName: 'generate-heartbeats-test' }, createProgress(false))).jobId;
  relay = runRelay(config, { signal: relayAbort.signal });
  const flink = new FlinkRestClient(flinkRestOptions(config));

  // The generator as a user runs it, a process of its own.
  const generator = spawn(
    process.execPath,
    [resolve('bin/tipstream.js'), 'generate', '--format', 'debs', '--rate', '1000', '--heartbeats', '--window', '1 minute', '--ride-topic', topics.rideTopic, '--fare-topic', topics.fareTopic, '--no-create-topics'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  generator.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  generator.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(generator, 'exit').then(([code]) => ({ code: code as number | null, at: Date.now() }));
  let generatorDone = false;
  void exited.then(() => (generatorDone = true));

  // Early in the run, once the job has a checkpoint to resume from and has read a fifth of the
  // rides: kill -9. (Waiting for its first windows in Cassandra instead left the job recovering
  // well past the end of the input on a freshly started stack: 24.7 s of the 30.)
  await pollUntil(
    'a checkpoint and 2,000 rides read',
    async () => {
      const metrics = await collectJobMetrics(flink, jobId!);
      return metrics.checkpointsCompleted > 0 && (metrics.ridesRead ?? 0) >= 2_000;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const before = taskManager();
  expect(before).toMatchObject({ state: 'up', answers: true });
  expect(generatorDone).toBe(false);
  process.kill(before.pid!, 'SIGKILL');
  const killedAt = Date.now();

  const end = await exited;
  if (end.code !== 0) process.stderr.write(stderr);
  expect(end.code).toBe(0);
  expect(stdout).toContain('Sent 20008 events');
  // The closing heartbeat: the end of the last trip's window plus the 3-minute delay.
  expect(stdout).toContain(`closing heartbeat at ${new Date(closing).toISOString()}`);
  expect(stdout).toMatch(/Heartbeats: [1-9]\d* rounds every 1 s behind the send frontier \(0 failed\)/);

  // Every row, exactly, within 30 s of the end of the input.
  const rows = await pollUntil(
    'every window in Cassandra',
    async () => {
      const now = await rowsInCassandra(config);
      return now.length >= expected.length && now.reduce((n, r) => n + r.rideCount, 0) >= 10_004 ? now : undefined;
    },
    { timeoutMs: Math.max(0, end.at + 30_000 - Date.now()), intervalMs: 250, onTimeout: 'return' },
  );
  const complete = Date.now();
  const found = rows ?? (await rowsInCassandra(config));
  process.stderr.write(
    `generate --heartbeats: input ended ${((end.at - killedAt) / 1000).toFixed(1)} s after the TaskManager was killed; ${found.length} of ${expected.length} rows in Cassandra ${((complete - end.at) / 1000).toFixed(1)} s after the end of the input\n`,
  );
  expectSameStats(found, expected);
  expect(complete - end.at).toBeLessThanOrEqual(30_000);

  // The kill hit the job (it restarted), the supervisor brought the TaskManager back, and no
  // heartbeat went to the dead letters as an implausible time: there are none at all.
  expect((await collectJobMetrics(flink, jobId)).restarts).toBeGreaterThanOrEqual(1);
  const after = await pollUntil('the TaskManager back', async () => {
    const now = taskManager();
    return now.state === 'up' && now.answers && now.pid !== before.pid ? now : undefined;
  }, { timeoutMs: 120_000, intervalMs: 500 });
  expect(after.pid).not.toBe(before.pid);
  expect(await readMessages(config.kafka.bootstrapServers, topics.deadLetterTopic, 1, 3_000)).toEqual([]);
}, 300_000);
