// Beyond one TaskManager, on the shared local stack: the suite brings it to two TaskManagers
// (`stack up --taskmanagers 2`, 4 slots each) and back to one afterwards. On two-partition topics:
// - a bounded job of parallelism 5 runs on both TaskManagers, three of its source subtasks with no
//   partition, and gives the exact DEBS windows;
// - a live run rescaled 2 → 4 → 2 while the generator goes on keeps closing windows at 4 (more
//   subtasks than partitions) and every closed window equals the independent computation;
// - a live run at parallelism 5 across both TaskManagers loses one to kill -9: the job comes
//   back once the supervisor has restarted the TaskManager and every window
//   stays exact.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { loadConfig, type ResolvedConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { pollUntil } from '../../common/retry.js';
import { ensureTopics, FlinkRestClient } from '../../clients/index.js';
import { collectJobMetrics, deployJob, readDeployment, rescaleJob } from '../../orchestrator/index.js';
import { LocalStackProvider } from '../../stack/index.js';
import { samples } from '../support/data.js';
import { replayDebsSample } from '../support/replay-debs.js';
import { expectedStats, expectSameStats, readDebs, type StatsRow } from '../support/expected-stats.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';
import { cleanUpLive, expectExactWindows, freshLiveConfig, liveUntil, stackStatus } from '../support/live.js';
import { startTestUdfService, type TestUdfService } from '../support/udf.js';
import { flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';

const base = loadConfig();
const flink = new FlinkRestClient(flinkRestOptions(base));
const topics = { rideTopic: uniqueName('rides'), fareTopic: uniqueName('fares'), deadLetterTopic: uniqueName('dead-letter'), statsTopic: uniqueName('stats') };
let service: TestUdfService;

/** The shared stack with exactly `taskManagers` TaskManagers. */
async function sizeStack(taskManagers: number): Promise<void> {
  const config = loadConfig({ overrides: { stack: { taskManagers } } });
  await new LocalStackProvider(config, createProgress(false), { exactTaskManagers: true }).up();
}

/** TaskManagers the JobManager heard from in the last 10 s. */
async function liveTaskManagers(): Promise<Array<{ id: string; slotsNumber: number }>> {
  const { data } = await axios.get<{ taskmanagers: Array<{ id: string; slotsNumber: number; timeSinceLastHeartbeat: number }> }>(`${base.flink.restUrl}/taskmanagers`);
  return data.taskmanagers.filter((tm) => Date.now() - tm.timeSinceLastHeartbeat < 10_000);
}

/** Which TaskManagers run the job's subtasks, once every subtask has one (a job just submitted lists some as "(unassigned)"). */
async function taskManagersOf(jobId: string): Promise<Set<string>> {
  return pollUntil(`every subtask of job ${jobId} placed on a TaskManager`, async () => {
    const hosts = await placements(jobId);
    return hosts.has('(unassigned)') ? undefined : hosts;
  }, { timeoutMs: 120_000, intervalMs: 500 });
}

async function placements(jobId: string): Promise<Set<string>> {
  const { data: job } = await axios.get<{ vertices: Array<{ id: string }> }>(`${base.flink.restUrl}/jobs/${jobId}`);
  const hosts = new Set<string>();
  for (const vertex of job.vertices) {
    const { data } = await axios.get<{ taskmanagers: Array<{ 'taskmanager-id': string }> }>(`${base.flink.restUrl}/jobs/${jobId}/vertices/${vertex.id}/taskmanagers`);
    for (const tm of data.taskmanagers) hosts.add(tm['taskmanager-id']);
  }
  return hosts;
}

/** A live pipeline of its own on two-partition topics, at `parallelism`. */
async function liveConfig(parallelism: number): Promise<ResolvedConfig> {
  const config = await freshLiveConfig(service.url);
  return { ...config, kafka: { ...config.kafka, partitions: 2 }, job: { ...config.job, parallelism } };
}

beforeAll(async () => {
  service = await startTestUdfService(base);
  await sizeStack(2);
  await pollUntil('two TaskManagers', async () => (await liveTaskManagers()).length === 2 || undefined, { timeoutMs: 60_000 });
});
afterAll(async () => {
  await service?.close();
  await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
  await cleanUpLive();
  await sizeStack(1);
});

it('lists both TaskManagers in stack status, each with its own process, log and Prometheus port', async () => {
  const statuses = stackStatus() as Array<{ service: string; instance?: string; pid?: number; answers?: boolean }>;
  const taskManagers = statuses.filter((s) => s.service === 'flink-taskmanager');
  expect(taskManagers.map((s) => s.instance ?? s.service)).toEqual(['flink-taskmanager', 'flink-taskmanager-2']);
  expect(new Set(taskManagers.map((s) => s.pid)).size).toBe(2);
  expect(taskManagers.every((s) => s.answers)).toBe(true);
  const first = base.stack.ports.flinkPrometheusFirst;
  for (const port of [first + 1, first + 2]) {
    const { data } = await axios.get<string>(`http://${base.host}:${port}/metrics`, { responseType: 'text' });
    expect({ port, taskManager: /^flink_taskmanager_/m.test(data) }).toEqual({ port, taskManager: true });
  }
});

it("runs a bounded job of parallelism 5 (more than one TaskManager's 4 slots) on both TaskManagers over two partitions, and its DEBS windows are exact", async () => {
  const config = loadConfig({
    overrides: {
      stateDir: mkdtempSync(join(tmpdir(), 'tipstream-scale-')),
      kafka: { partitions: 2 },
      job: { udfLookupUrl: service.lookupUrl, windowSize: '1 minute', consumerGroup: uniqueName('scale'), parallelism: 5 },
    },
  });
  await ensureTopics(kafkaTopicOptions(config), Object.values(topics));
  const summary = await replayDebsSample(base.kafka.bootstrapServers, topics);
  expect(summary.sent.rides).toBe(10_004);

  const deployment = await deployJob(config, { bounded: true, topics, jobName: 'scale-out bounded' }, createProgress(false));
  const { data: running } = await axios.get<{ vertices: Array<{ parallelism: number }> }>(`${base.flink.restUrl}/jobs/${deployment.jobId}`);
  expect(Math.max(...running.vertices.map((v) => v.parallelism))).toBe(5);
  const hosts = await taskManagersOf(deployment.jobId);
  const finished = await flink.waitForState(deployment.jobId, ['FINISHED', 'FAILED'], 300_000);
  expect(finished.state).toBe('FINISHED');
  expect([...hosts].sort()).toEqual((await liveTaskManagers()).map((tm) => tm.id).sort());

  const expected = expectedStats(readDebs(samples.debs), 60_000, service.index);
  const stats = (await readMessages(base.kafka.bootstrapServers, topics.statsTopic, expected.length, 60_000, 5_000)).map((m) => JSON.parse(m.value) as StatsRow);
  expectSameStats(stats, expected);
  expect((await collectJobMetrics(flink, deployment.jobId)).ridesRead).toBe(10_004);
});

it('rescales a live run 2 → 4 → 2 while data flows: windows keep closing at 4 over two partitions, none lost or doubled', async () => {
  const config = await liveConfig(2);
  const progress = createProgress(false);
  let rows = 0;
  let done = false;
  const steps: Array<{ parallelism: number; jobId: string; rowsBefore: number }> = [];
  const rescales = (async () => {
    await pollUntil('the first windows', async () => rows > 0 || undefined, { timeoutMs: 120_000, intervalMs: 250 });
    for (const parallelism of [4, 2]) {
      const result = await rescaleJob(config, { parallelism }, progress);
      steps.push({ parallelism, jobId: result.deployment.jobId, rowsBefore: rows });
      // Windows close at the new parallelism (at 4, two source subtasks have no partition).
      const before = rows;
      await pollUntil(`windows at parallelism ${parallelism}`, async () => rows > before + 20 || undefined, { timeoutMs: 180_000, intervalMs: 250 });
    }
    done = true;
  })();
  let failed: unknown;
  rescales.catch((err: unknown) => (failed = err));
  const run = await liveUntil(config, (view) => {
    rows = view.rowsWritten;
    return done || failed !== undefined;
  });
  await rescales;
  // The run followed each new job, and the record keeps both changes.
  expect(run.jobId).toBe(steps[1]!.jobId);
  const record = await readDeployment(config);
  expect(record?.rescales?.map((r) => [r.from, r.to])).toEqual([[2, 4], [4, 2]]);
  expect(record?.job?.parallelism).toBe(2);
  // Past 2 partitions the idle timeout (30 s, half an hour of live event time) holds the newest windows back.
  await expectExactWindows(config, [run], run.clock - 60 * 60_000, service.index);
}, 900_000);

it('brings a live job across two TaskManagers back after one is killed with -9, every window exact', async () => {
  // 5 subtasks need slots of both TaskManagers; with one gone, the job waits for the supervisor to bring it back.
  const config = await liveConfig(5);
  let rows = 0;
  let killedAt = 0;
  let rowsAtKill = 0;
  const killing = (async () => {
    await pollUntil('the first windows', async () => rows > 0 || undefined, { timeoutMs: 120_000, intervalMs: 250 });
    const deployment = await readDeployment(config);
    expect((await taskManagersOf(deployment!.jobId)).size).toBe(2);
    const second = (stackStatus() as Array<{ instance?: string; pid?: number }>).find((s) => s.instance === 'flink-taskmanager-2')!;
    process.kill(second.pid!, 'SIGKILL');
    killedAt = Date.now();
    rowsAtKill = rows;
    // The supervisor brings the TaskManager back with a new process.
    await pollUntil('the second TaskManager again', async () => {
      const now = (stackStatus() as Array<{ instance?: string; pid?: number; state?: string }>).find((s) => s.instance === 'flink-taskmanager-2');
      return (now?.pid !== undefined && now.pid !== second.pid && now.state === 'up') || undefined;
    }, { timeoutMs: 180_000, intervalMs: 1_000 });
    // And the job closes windows again.
    await pollUntil('windows after the kill', async () => rows > rowsAtKill + 20 || undefined, { timeoutMs: 240_000, intervalMs: 250 });
  })();
  let failed: unknown;
  killing.catch((err: unknown) => (failed = err));
  const run = await liveUntil(config, (view) => {
    rows = view.rowsWritten;
    return failed !== undefined || (killedAt > 0 && rows > rowsAtKill + 20);
  });
  await killing;
  process.stderr.write(`killed a TaskManager ${((Date.now() - killedAt) / 1000).toFixed(0)} s before the end; the run made ${run.recoveries} recoveries of its own\n`);
  await expectExactWindows(config, [run], run.clock - 60 * 60_000, service.index);
}, 900_000);
