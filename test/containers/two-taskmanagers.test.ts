// One job across two TaskManager containers: the suite's stack has two TaskManagers of two slots
// each, so a job of parallelism 4 needs both. Its results must equal the independent computation
// on the DEBS sample, as on the local stack (test/integration/pipeline-correctness.test.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { loadConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { ensureTopics, FlinkRestClient } from '../../clients/index.js';
import { collectJobMetrics, deployJob } from '../../orchestrator/index.js';
import { samples } from '../support/data.js';
import { replayDebsSample } from '../support/replay-debs.js';
import { expectedStats, expectSameStats, readDebs, type StatsRow } from '../support/expected-stats.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';
import { startTestUdfService, type TestUdfService } from '../support/udf.js';
import { flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';

const base = loadConfig();
const topics = { rideTopic: uniqueName('rides'), fareTopic: uniqueName('fares'), deadLetterTopic: uniqueName('dead-letter'), statsTopic: uniqueName('stats') };
let service: TestUdfService;

beforeAll(async () => {
  service = await startTestUdfService(base);
});
afterAll(async () => {
  await service?.close();
  await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
});

it('runs one job on both TaskManager containers, and its windows are exact', async () => {
  const flink = new FlinkRestClient(flinkRestOptions(base));
  const { data: overview } = await axios.get<{ taskmanagers: Array<{ id: string; slotsNumber: number }> }>(`${base.flink.restUrl}/taskmanagers`);
  expect(overview.taskmanagers).toHaveLength(2);
  const slots = overview.taskmanagers.reduce((n, tm) => n + tm.slotsNumber, 0);
  expect(slots).toBe(4);
  // The Prometheus reporters of the JobManager and both TaskManagers, each on its own host port
  // from flinkPrometheusFirst up (the SQL Gateway runs none).
  const first = base.stack.ports.flinkPrometheusFirst;
  for (const port of [first, first + 1, first + 2]) {
    const { data: text } = await axios.get<string>(`http://${base.host}:${port}/metrics`, { responseType: 'text' });
    expect({ port, flink: /^flink_/m.test(text) }).toEqual({ port, flink: true });
  }
  const taskManagerScrapes = await Promise.all([first + 1, first + 2].map((port) => axios.get<string>(`http://${base.host}:${port}/metrics`, { responseType: 'text' }).then((r) => r.data)));
  expect(taskManagerScrapes.every((text) => /^flink_taskmanager_/m.test(text))).toBe(true);

  await ensureTopics(kafkaTopicOptions(base), Object.values(topics));
  const summary = await replayDebsSample(base.kafka.bootstrapServers, topics);
  expect(summary.sent.rides).toBe(10_004);

  // Parallelism 4 on 4 partitions: every slot of both TaskManagers is taken.
  const config = loadConfig({
    overrides: {
      stateDir: mkdtempSync(join(tmpdir(), 'tipstream-two-tms-')),
      job: { udfLookupUrl: service.lookupUrl, windowSize: '1 minute', consumerGroup: uniqueName('two-tms'), parallelism: 4 },
    },
  });
  const deployment = await deployJob(config, { bounded: true, topics, jobName: 'two TaskManagers' }, createProgress(false));
  const finished = await flink.waitForState(deployment.jobId, ['FINISHED', 'FAILED'], 300_000);
  expect(finished.state).toBe('FINISHED');

  // Which TaskManagers ran the job's subtasks, by vertex.
  const { data: job } = await axios.get<{ vertices: Array<{ id: string; name: string; parallelism: number }> }>(`${base.flink.restUrl}/jobs/${deployment.jobId}`);
  expect(Math.max(...job.vertices.map((v) => v.parallelism))).toBe(4);
  const hosts = new Set<string>();
  for (const vertex of job.vertices) {
    const { data } = await axios.get<{ taskmanagers: Array<{ 'taskmanager-id': string }> }>(`${base.flink.restUrl}/jobs/${deployment.jobId}/vertices/${vertex.id}/taskmanagers`);
    for (const tm of data.taskmanagers) hosts.add(tm['taskmanager-id']);
  }
  expect([...hosts].sort()).toEqual(overview.taskmanagers.map((tm) => tm.id).sort());

  const expected = expectedStats(readDebs(samples.debs), 60_000, service.index);
  const stats = (await readMessages(base.kafka.bootstrapServers, topics.statsTopic, expected.length, 60_000, 5_000)).map((m) => JSON.parse(m.value) as StatsRow);
  expectSameStats(stats, expected);
  expect((await collectJobMetrics(flink, deployment.jobId)).ridesRead).toBe(10_004);
});
