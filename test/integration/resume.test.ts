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
import { defaultInputs, events, KafkaTransport, newInputReport, type OutgoingEvent } from '../../generator/index.js';
import { collectJobMetrics, deployJob, ensureTopics, FlinkRestClient, resumeJob } from '../../orchestrator/index.js';
import { startUdfService } from '../../udf-service/index.js';
import { samples } from '../support/data.js';
import { expectedStats, expectSameStats, readDebs, type StatsRow } from '../support/expected-stats.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';

const base = loadConfig();
let service: Awaited<ReturnType<typeof startUdfService>>;
let jobToCancel: string | undefined;
const topics = { rideTopic: uniqueName('rides'), fareTopic: uniqueName('fares'), deadLetterTopic: uniqueName('dead-letter'), statsTopic: uniqueName('stats') };

beforeAll(async () => {
  service = await startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, port: 0 });
});
afterAll(async () => {
  if (jobToCancel) await new FlinkRestClient(base.flink.restUrl).cancel(jobToCancel).catch(() => undefined);
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

async function send(batch: OutgoingEvent[]): Promise<void> {
  const transport = new KafkaTransport({ bootstrapServers: base.kafka.bootstrapServers, ...topics });
  try {
    for (let i = 0; i < batch.length; i += 1000) await transport.send(batch.slice(i, i + 1000));
  } finally {
    await transport.close();
  }
}

/** A trip a day later: its watermark closes every window of the sample. */
function sentinel(): OutgoingEvent[] {
  const key = 'SENTINEL_SENTINEL_DEBS';
  const ride = { medallion: 'SENTINEL', hackLicense: 'SENTINEL', vendorId: 'DEBS', pickupTime: '2013-01-02T00:00:00Z', dropoffTime: '2013-01-02T00:01:00Z', rateCode: 1, storeAndForwardFlag: 'N', passengerCount: 1, tripTimeInSeconds: 60, tripDistanceInMiles: 1, pickupLon: -73.98, pickupLat: 40.76, dropoffLon: -73.98, dropoffLat: 40.76 };
  return [
    { stream: 'ride', time: 0, key, value: JSON.stringify(ride) },
    { stream: 'fare', time: 0, key, value: 'SENTINEL,SENTINEL,DEBS,2013-01-02 00:00:00,CSH,5,0,0.5,0,0,5.5' },
  ];
}

it('resumes the recorded job from its latest checkpoint after the JobManager was killed with -9', async () => {
  const config = loadConfig({ overrides: { stateDir: await mkdtemp(join(tmpdir(), 'tipstream-resume-')), job: { udfLookupUrl: `${service.url}/lookup`, windowSize: '1 minute', consumerGroup: uniqueName('resume'), idleTimeout: '10 s', checkpointInterval: '2 s' } } });
  await ensureTopics(config, Object.values(topics));
  const all: OutgoingEvent[] = [];
  for await (const event of events({ format: 'debs', input: defaultInputs.debs, faresLeadMs: 0, bufferCapacity: 100_000 }, newInputReport())) all.push(event);
  const half = Math.floor(all.length / 2);
  await send(all.slice(0, half));
  const firstHalfRides = all.slice(0, half).filter((e) => e.stream === 'ride').length;

  const first = await deployJob(config, { bounded: false, topics, jobName: 'resume-test' }, createProgress(false));
  jobToCancel = first.jobId;
  const flink = new FlinkRestClient(config.flink.restUrl);
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
