// A JobManager killed with -9 takes its jobs with it (a standalone cluster has no HA). The stack's
// supervisor brings the JobManager back, and `deploy --resume` starts the recorded job from its
// latest completed checkpoint: the results equal the independent computation, nothing lost or
// doubled.
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { defaultInputs, events, newInputReport, type OutgoingEvent } from '../../generator/index.js';
import { collectJobMetrics, deployJob, resumeJob } from '../../orchestrator/index.js';
import { ensureTopics, FlinkRestClient } from '../../clients/index.js';
import { startUdfService } from '../../udf-service/index.js';
import { samples } from '../support/data.js';
import { expectedStats, expectSameStats, readDebs, type StatsRow } from '../support/expected-stats.js';
import { sendEvents, sentinel } from '../support/debs-halves.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';
import { flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';

const base = loadConfig();
let service: Awaited<ReturnType<typeof startUdfService>>;
let jobToCancel: string | undefined;
const topics = { rideTopic: uniqueName('rides'), fareTopic: uniqueName('fares'), deadLetterTopic: uniqueName('dead-letter'), statsTopic: uniqueName('stats') };

beforeAll(async () => {
  service = await startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, port: 0 });
});
afterAll(async () => {
  if (jobToCancel) await new FlinkRestClient(flinkRestOptions(base)).cancel(jobToCancel).catch(() => undefined);
  await service?.close();
  await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
});

interface Status {
  service: string;
  pid?: number;
  state?: string;
}

function stackStatus(): Status[] {
  const result = spawnSync(process.execPath, [resolve('bin/tipstream.js'), 'stack', 'status', '--json'], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(result.stdout) as Status[];
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const send = (batch: OutgoingEvent[]) => sendEvents(base.kafka.bootstrapServers, topics, batch);

it('resumes the recorded job from its latest checkpoint after the JobManager was killed with -9', async () => {
  const config = loadConfig({ overrides: { stateDir: await mkdtemp(join(tmpdir(), 'tipstream-resume-')), job: { udfLookupUrl: `${service.url}/lookup`, windowSize: '1 minute', consumerGroup: uniqueName('resume'), idleTimeout: '10 s', checkpointInterval: '2 s' } } });
  await ensureTopics(kafkaTopicOptions(config), Object.values(topics));
  const all: OutgoingEvent[] = [];
  for await (const event of events({ format: 'debs', input: defaultInputs.debs, faresLeadMs: 0, bufferCapacity: 100_000 }, newInputReport())) all.push(event);
  const half = Math.floor(all.length / 2);
  await send(all.slice(0, half));
  const firstHalfRides = all.slice(0, half).filter((e) => e.stream === 'ride').length;

  const first = await deployJob(config, { bounded: false, topics, jobName: 'resume-test' }, createProgress(false));
  jobToCancel = first.jobId;
  const flink = new FlinkRestClient(flinkRestOptions(config));
  await until('the first half is read and checkpointed', async () => {
    const m = await collectJobMetrics(flink, first.jobId);
    return (m.ridesRead ?? 0) >= firstHalfRides && m.checkpointsCompleted >= 2;
  }, 120_000);

  const jobManager = stackStatus().find((s) => s.service === 'flink-jobmanager')!;
  process.kill(jobManager.pid!, 'SIGKILL');
  // The supervisor restarts the JobManager; the TaskManager registers with it again.
  await until('the JobManager and the TaskManager are up again', () => {
    const now = stackStatus();
    const jm = now.find((s) => s.service === 'flink-jobmanager')!;
    return jm.pid !== jobManager.pid && jm.state === 'up' && now.find((s) => s.service === 'flink-taskmanager')!.state === 'up';
  }, 180_000);

  const resumed = await resumeJob(config, createProgress(false));
  jobToCancel = resumed.jobId;
  expect(resumed.resumedFrom).toMatch(new RegExp(`${first.jobId}/chk-\\d+$`));
  expect((await flink.job(resumed.jobId)).state).toBe('RUNNING');

  await send([...all.slice(half), ...sentinel()]);
  const expected = expectedStats(readDebs(samples.debs), 60_000, service.index);
  const stats = (await readMessages(config.kafka.bootstrapServers, topics.statsTopic, expected.length, 180_000, 8_000)).map((m) => JSON.parse(m.value) as StatsRow);
  expectSameStats(stats, expected);
}, 480_000);
