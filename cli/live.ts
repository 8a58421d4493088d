// Live mode (`tipstream start --live`): the pipeline unbounded, until stopped. Real trips of the
// DEBS sample, copied over and over with their times moved to a clock that starts now and runs
// `speedup` times faster than the wall clock, go into the hubs at that pace; heartbeats on the
// same clock keep windows closing through quiet spells; the relay writes each closed window into
// Cassandra as it comes. Stopping takes a savepoint and remembers where the clock was, so the next
// run resumes the same job state: no window lost, none doubled.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedConfig } from '../common/config.js';
import { InfrastructureError, UserError } from '../common/errors.js';
import { childLogger } from '../common/logger.js';
import { createProgress, type Progress, type ProgressBar } from '../common/progress.js';
import { ensureTopics, FlinkRestClient, terminalStates, type WindowResult } from '../clients/index.js';
import { flinkRestOptions, kafkaEndpoint, kafkaTopicOptions } from '../common/client-options.js';
import { isRetriable, pollUntil, within } from '../common/retry.js';
import { AcknowledgedTransport, defaultInputs, Heartbeat, KafkaTransport, replay, SendFrontier, type GeneratorSummary } from '../generator/index.js';
import { collectJobMetrics, deployJob, latestCheckpoint, readDeployment, runRelay, type JobMetrics, type RelayCounters } from '../orchestrator/index.js';
import { RollingWindows, type RollingRanking } from './live-ranking.js';

const log = childLogger('live');

export interface LiveOptions {
  /** Event time runs this many times faster than the wall clock. */
  speedup: number;
  malformedRate: number;
  /** Aborting stops the run: generator, then the job with a savepoint, then the relay. */
  signal: AbortSignal;
  /** Called about once a second with what a person watching wants to see. */
  onView?: (view: LiveView) => void;
  /** Consumer groups and the state file are named after this (default `tipstream-live`). */
  name?: string;
  /** Called with the rows the relay has just written to Cassandra (bench:pipeline times them). */
  onRows?: (rows: WindowResult[]) => void;
  /** Called once the live clock runs: event time `clock()` is now (bench:pipeline maps window ends to wall time with it). */
  onClock?: (clock: () => number) => void;
  /** The view ranks neighborhoods over this many latest windows (default `dashboard.liveSpan`)... */
  rankSpan?: number;
  /** ...those with at least this many rides in them (default `dashboard.minRides`, npm start's 10). */
  minRides?: number;
}

export interface LiveView {
  /** The live clock (ms since the epoch): where event time is now. */
  clock: number;
  jobId: string;
  /** Times the job was lost (a JobManager restarted without it, a failure for good) and resumed from its latest checkpoint. */
  recoveries: number;
  resumedFrom?: string;
  eventsSent: number;
  eventsPerSecond: number;
  metrics?: JobMetrics;
  /** Event-time lag of the windows behind the live clock, in seconds of event time. */
  watermarkLagSeconds: number | null;
  /** The latest window written to Cassandra, its rows by tip per mile. */
  latestWindow?: { windowEnd: string; rows: WindowResult[] };
  /** The neighborhoods over the latest windows written, ranked as `npm start` ranks them. */
  ranking?: RollingRanking;
  rowsWritten: number;
}

export interface LiveSummary {
  jobId: string;
  recoveries: number;
  savepoint: string;
  generator: GeneratorSummary;
  relay: RelayCounters;
  /** Where the live clock stopped; the next run starts after it. */
  clock: number;
}

/**
 * What a live run leaves for the next one, in the state folder: written every second while it
 * runs (`running`, the job and the clock), and at Ctrl-C with the savepoint the job stopped with.
 */
interface LiveState {
  /** The savepoint of the last clean stop; absent while the first run runs. */
  savepoint?: string;
  clock: number;
  jobId: string;
  /** Set while a run runs: found at start, that run ended without Ctrl-C (killed) and its job may still run. */
  running?: true;
  /** While running: the wall time `clock` was taken at, the speedup and the events sent so far (the dashboard's strip reads them). */
  wallAt?: number;
  speedup?: number;
  eventsSent?: number;
}

export function liveStateFile(config: ResolvedConfig, name = 'tipstream-live'): string {
  return join(config.stateDir, `${name}.json`);
}

export async function readLiveState(config: ResolvedConfig, name?: string): Promise<LiveState | undefined> {
  const file = liveStateFile(config, name);
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as LiveState;
}

/**
 * A savepoint needs every task running: a job just resumed (its slots still coming back) refuses
 * one, and one taken while a broker restarts may fail with the sink that could not flush. So,
 * within four minutes: wait until every task runs, trigger, and follow the savepoint; a refusal,
 * or a failed savepoint of a job that still runs, is tried again. A savepoint in progress is
 * followed to the deadline, never triggered twice (in CI a stop that tried again after five
 * minutes of an unfinished savepoint ran past the fault suite's limit).
 */
async function stopWithSavepointWhenRunning(flink: FlinkRestClient, jobId: string, timeoutMs = 240_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  return pollUntil(
    `a savepoint of job ${jobId}`,
    async () => {
      const job = await flink.job(jobId);
      if (terminalStates.includes(job.state)) throw new InfrastructureError('TIPSTREAM_START', `job ${jobId} is ${job.state}: no savepoint can be taken of it`);
      if (!job.vertices.every((v) => v.status === 'RUNNING')) return undefined;
      try {
        return await flink.stopWithSavepoint(jobId, undefined, Math.max(1_000, deadline - Date.now()));
      } catch (err) {
        // Failed, not refused: the job may have restarted meanwhile; the next round sees.
        if (err instanceof InfrastructureError && err.code === 'TIPSTREAM_START') {
          log.warn({ jobId, err: err.message }, 'the savepoint failed; trying again once every task runs');
          return undefined;
        }
        throw err;
      }
    },
    // Flink refusing (HTTP 500 while tasks restart) or away for a moment is retriable; a job that
    // ended, or a savepoint unfinished at the deadline, is not.
    { timeoutMs, intervalMs: 1_000, giveUp: (err) => !isRetriable(err) },
  );
}

/**
 * Where to resume from: the savepoint of a clean stop; or, after a run that was killed, its job
 * stopped now with a savepoint when it still runs (never two live jobs at once), else that job's
 * latest completed checkpoint, else the older savepoint.
 */
async function stateToResumeFrom(flink: FlinkRestClient, previous: LiveState): Promise<string | undefined> {
  if (!previous.running) return previous.savepoint;
  const job = await flink.job(previous.jobId).catch(() => undefined);
  if (job && !terminalStates.includes(job.state)) {
    log.warn({ jobId: previous.jobId }, 'the last live run ended without Ctrl-C and its job still runs: stopping it with a savepoint to resume from');
    return stopWithSavepointWhenRunning(flink, previous.jobId);
  }
  const checkpoint = await latestCheckpoint(flink, previous.jobId).catch(() => undefined);
  log.warn({ jobId: previous.jobId, checkpoint: checkpoint ?? previous.savepoint }, 'the last live run ended without Ctrl-C; resuming from its latest checkpoint');
  return checkpoint ?? previous.savepoint;
}

/** A progress that keeps the generator's sent count (the replay reports it through its bar). */
function countingProgress(onSent: (events: number) => void): Progress {
  const bar: ProgressBar = { update: (done) => onSent(done), setTotal() {}, stop() {} };
  return { enabled: false, step() {}, bar: () => bar };
}

export async function runLive(config: ResolvedConfig, options: LiveOptions): Promise<LiveSummary> {
  const name = options.name ?? 'tipstream-live';
  const k = config.kafka;
  await ensureTopics(kafkaTopicOptions(config), [k.rideTopic, k.fareTopic, k.deadLetterTopic, k.statsTopic]);
  const previous = await readLiveState(config, name);
  const flink = new FlinkRestClient(flinkRestOptions(config));
  const resumeFrom = previous ? await stateToResumeFrom(flink, previous) : undefined;
  // The clock never goes back: event times before the restored watermark would all be late. A
  // run that was killed recorded its clock up to a second before: the margin covers that second.
  // It starts running when the generator does (after the deploy), as the generator's pacing does.
  const clockStart = Math.max(Date.now(), (previous?.clock ?? 0) + Math.max(60_000, options.speedup * 2_000));
  let wallStart: number | undefined;
  const clock = () => clockStart + (Date.now() - (wallStart ?? Date.now())) * options.speedup;
  // The job's bound on plausible event times (README, "Event time and bad clocks") follows this
  // clock, not the wall's: taken before the generator starts, it is never behind the real one.
  const liveClock = { wallAt: Date.now(), eventAt: clockStart, speedup: options.speedup };

  // Heartbeats keep every partition moving, so no partition needs to be declared idle here; a
  // short idle timeout only invites the race where a source slow to start (a job just restored,
  // a busy machine) is skipped and the other stream's watermark runs ahead of its trips.
  const jobConfig = { ...config, job: { ...config.job, consumerGroup: name, idleTimeout: '5 min' } };
  const deployment = await deployJob(jobConfig, { bounded: false, jobName: name, clock: liveClock, ...(resumeFrom ? { savepoint: resumeFrom } : {}) }, createProgress(false)).catch((err: unknown) => {
    // A savepoint of another program (the SQL changed since, e.g. a tipstream upgrade) cannot be
    // restored into this one: say what to do rather than only what Flink says.
    if (resumeFrom && /Cannot map checkpoint\/savepoint state/.test((err as Error).message)) {
      throw new UserError('TIPSTREAM_SQL', `the live run's savepoint ${resumeFrom} was taken by a different job (its SQL changed since) and cannot be restored into this one; delete ${liveStateFile(config, name)} to start over with a new clock (the README, "Upgrading across this release's job change", says how to carry a running job over)`, { cause: err });
    }
    throw err;
  });
  let jobId = deployment.jobId;
  let deployedAt = deployment.deployedAt;
  // A rescale (`tipstream rescale`, orchestrator/rescale.ts) or an upgrade from elsewhere stops
  // this run's job with a savepoint and records the job it starts from it: this run follows that
  // job, and recovers it at its own parallelism.
  let runningConfig = jobConfig;
  const adoptRedeployed = async (): Promise<boolean> => {
    const recorded = await readDeployment(jobConfig).catch(() => undefined);
    if (!recorded || recorded.jobName !== name || recorded.jobId === jobId || Date.parse(recorded.deployedAt) <= Date.parse(deployedAt)) return false;
    log.info({ from: jobId, to: recorded.jobId, parallelism: recorded.job?.parallelism }, 'the live job was redeployed from a savepoint (a rescale or an upgrade); following the new job');
    jobId = recorded.jobId;
    deployedAt = recorded.deployedAt;
    if (recorded.job) runningConfig = { ...jobConfig, job: { ...jobConfig.job, parallelism: recorded.job.parallelism } };
    return true;
  };
  let recoveries = 0;
  let recovering = false;
  // A job the cluster lost, or that failed for good, is started again from its latest completed
  // checkpoint; until that works (a JobManager still starting, no slots yet) the next poll tries again.
  const recover = async (reason: string) => {
    if (recovering || options.signal.aborted) return;
    recovering = true;
    try {
      const checkpoint = await latestCheckpoint(flink, jobId);
      log.warn({ jobId, reason, checkpoint }, 'the live job is gone; resuming it from its latest checkpoint');
      const recovered = await deployJob(runningConfig, { bounded: false, jobName: name, clock: liveClock, savepoint: checkpoint }, createProgress(false));
      jobId = recovered.jobId;
      deployedAt = recovered.deployedAt;
      recoveries += 1;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'resuming the live job failed; trying again');
    } finally {
      recovering = false;
    }
  };
  log.info({ jobId: deployment.jobId, resumedFrom: previous?.savepoint, clock: new Date(clockStart).toISOString() }, 'live job running');

  // The relay: the latest window it wrote is what the view shows.
  const relayAbort = new AbortController();
  let latestWindow: LiveView['latestWindow'];
  const recent = new RollingWindows(options.rankSpan ?? config.dashboard.liveSpan);
  let rowsWritten = 0;
  let lastRowsAt = Date.now();
  const relayOptions = {
    consumerGroup: `${name}-relay`,
    signal: relayAbort.signal,
    onRows: (rows: WindowResult[]) => {
      options.onRows?.(rows);
      rowsWritten += rows.length;
      lastRowsAt = Date.now();
      recent.add(rows);
      for (const row of rows) {
        if (!latestWindow || Date.parse(row.windowEnd) > Date.parse(latestWindow.windowEnd)) latestWindow = { windowEnd: row.windowEnd, rows: [] };
        if (row.windowEnd === latestWindow.windowEnd) latestWindow.rows.push(row);
      }
    },
  };
  // A relay that stops on an error (Kafka or Cassandra away past its retry budget) is started
  // again after 5 s: it reads on from its committed offsets, so nothing is lost or doubled.
  const relayTotals: RelayCounters = { written: 0, retries: 0, rejected: 0, commits: 0 };
  const relay = (async () => {
    while (!relayAbort.signal.aborted) {
      try {
        const counters = await runRelay(config, relayOptions);
        for (const key of Object.keys(relayTotals) as Array<keyof RelayCounters>) relayTotals[key] += counters[key];
      } catch (err) {
        if (relayAbort.signal.aborted) break;
        log.warn({ err: (err as Error).message }, 'the relay stopped; starting it again in 5 s');
        await sleep(5_000, undefined, { signal: relayAbort.signal }).catch(() => undefined);
      }
    }
    return relayTotals;
  })();

  const transport = new AcknowledgedTransport(new KafkaTransport({ ...kafkaEndpoint(config), rideTopic: k.rideTopic, fareTopic: k.fareTopic, client: k.client }));
  // How far the generator has Kafka acknowledge everything (a minute behind the clock before its first trip).
  const frontier = new SendFrontier(clockStart - 60_000);
  const heartbeat = new Heartbeat({
    bootstrapServers: k.bootstrapServers,
    rideTopic: k.rideTopic,
    fareTopic: k.fareTopic,
    // Half a wall-clock second behind the live clock (at most 30 s of event time, well inside the
    // watermark delay): a generator running a little late is never made late by a heartbeat. Four
    // a second, so that no partition holds a window back for long once the clock has passed it.
    // Never ahead of the generator either: trips waiting on Kafka (a broker restarting) or still to
    // be sent by a generator running late would arrive behind the watermark a heartbeat moved;
    // seen as thousands of trips 'late for join' after each Kafka kill before this bound.
    clock: () => Math.min(clock() - Math.min(options.speedup * 500, 30_000), frontier.safeTime() - 1),
    intervalMs: 250,
    ...(k.connectionString ? { connectionString: k.connectionString } : {}),
    ...(k.caFile ? { caFile: k.caFile } : {}),
  });

  let eventsSent = 0;
  let rate = { at: Date.now(), sent: 0, perSecond: 0 };
  let metrics: JobMetrics | undefined;
  const view = (): LiveView => ({
    clock: clock(),
    jobId,
    recoveries,
    ...(resumeFrom ? { resumedFrom: resumeFrom } : {}),
    eventsSent,
    eventsPerSecond: rate.perSecond,
    ...(metrics ? { metrics } : {}),
    watermarkLagSeconds: metrics?.windowWatermark ? Math.round((clock() - Date.parse(metrics.windowWatermark)) / 1000) : null,
    ...(latestWindow ? { latestWindow, ranking: recent.rank(options.minRides ?? config.dashboard.minRides) } : {}),
    rowsWritten,
  });
  let stopping = false;
  let stateWrite: Promise<void> = Promise.resolve();
  const viewer = setInterval(() => {
    const now = Date.now();
    // Where this run is, for a next run should this one be killed (until the stop writes its own).
    if (!stopping) {
      const running: LiveState = { ...(previous?.savepoint ? { savepoint: previous.savepoint } : {}), clock: clock(), jobId, running: true, wallAt: now, speedup: options.speedup, eventsSent };
      stateWrite = stateWrite.then(() => writeFile(liveStateFile(config, name), `${JSON.stringify(running)}\n`)).catch(() => undefined);
    }
    rate = { at: now, sent: eventsSent, perSecond: ((eventsSent - rate.sent) * 1000) / Math.max(1, now - rate.at) };
    options.onView?.(view());
  }, 1_000);
  const poller = setInterval(() => {
    if (recovering) return;
    collectJobMetrics(flink, jobId).then(
      (m) => {
        metrics = m;
        if (m.state === 'FAILED') void recover('the job failed');
        else if (m.state === 'FINISHED' || m.state === 'CANCELED') void adoptRedeployed();
      },
      (err: unknown) => {
        log.debug({ err }, 'metrics unavailable');
        flink.knowsJob(jobId).then(
          (known) => (known ? undefined : recover('Flink no longer knows the job')),
          () => undefined,
        );
      },
    );
  }, 2_000);


  // Each step of the stop is logged with the time since Ctrl-C: a stop that takes long says where.
  let stopAskedAt = 0;
  options.signal.addEventListener('abort', () => (stopAskedAt = Date.now()), { once: true });
  const stopStep = (step: string, fields: Record<string, unknown> = {}) => log.info({ ...fields, sinceCtrlCMs: stopAskedAt ? Date.now() - stopAskedAt : undefined }, `stopping: ${step}`);

  let generator: GeneratorSummary;
  try {
    wallStart = Date.now();
    options.onClock?.(clock);
    heartbeat.start();
    generator = await replay(
      {
        source: { format: 'synthetic', input: defaultInputs.synthetic, faresLeadMs: 0, bufferCapacity: 200_000, trips: Number.MAX_SAFE_INTEGER, startAt: clockStart },
        faults: { malformedRate: options.malformedRate, lateRate: 0, duplicateRate: 0, seed: clockStart % 2_147_483_647 },
        pacing: { kind: 'speedup', factor: options.speedup },
        batchSize: 200,
        rideTopic: k.rideTopic,
        fareTopic: k.fareTopic,
        signal: options.signal,
        frontier,
      },
      transport,
      countingProgress((sent) => (eventsSent = sent)),
    );
  } catch (err) {
    // The generator failed for good: nothing of this run may keep the process alive.
    clearInterval(viewer);
    await heartbeat.stop().catch(() => undefined);
    relayAbort.abort();
    await relay;
    throw err;
  } finally {
    // A broker restarting may never answer the close: 15 s, then on (every send was acknowledged or counted).
    await within(transport.close(), 15_000, undefined).catch(() => undefined);
    clearInterval(poller);
  }
  stopStep('the generator stopped', { sent: generator.sent });

  // Stopping: the last heartbeat, then the job with a savepoint (its results so far committed),
  // then the relay once it has written them.
  const stoppedClock = clock();
  await heartbeat.stop();
  stopStep('the heartbeats stopped');
  // A recovery under way finishes first (it deploys the job the savepoint is taken of).
  if (recovering) stopStep('waiting for the recovery under way');
  await pollUntil('the live job\'s recovery', async () => !recovering || undefined, { timeoutMs: 300_000, intervalMs: 250, onTimeout: 'return' });
  // Stopped by a rescale under way: the job it starts is the one to stop.
  if ((await flink.job(jobId).catch(() => undefined))?.state === 'FINISHED') {
    await pollUntil('the rescaled live job', async () => (await adoptRedeployed()) || undefined, { timeoutMs: 300_000, intervalMs: 500, onTimeout: 'return' });
  }
  let savepoint: string;
  stopStep('taking a savepoint', { jobId });
  try {
    savepoint = await stopWithSavepointWhenRunning(flink, jobId);
  } catch (cause) {
    clearInterval(viewer);
    relayAbort.abort();
    await relay;
    throw new InfrastructureError('TIPSTREAM_START', `stopping the live job ${jobId} with a savepoint failed; it is still running (tipstream stop --savepoint)`, { cause });
  }
  stopping = true;
  stopStep('the job stopped with a savepoint', { savepoint });
  await stateWrite;
  await writeFile(liveStateFile(config, name), `${JSON.stringify({ savepoint, clock: stoppedClock, jobId } satisfies LiveState, null, 2)}\n`);
  // The results of the final checkpoint reach the topic with the savepoint: give the relay until
  // it has had nothing new for 3 s.
  const stoppedAt = Date.now();
  await pollUntil('the relay going quiet', async () => Date.now() - Math.max(lastRowsAt, stoppedAt) >= 3_000 || undefined, { timeoutMs: 120_000, intervalMs: 250, onTimeout: 'return' });
  relayAbort.abort();
  const relayCounters = await relay;
  stopStep('the relay stopped', { written: relayCounters.written });
  // Quiet is not caught up: a relay slow to fetch the final transaction (a loaded machine), or cut
  // off mid-batch by the abort, left the newest window half written (seen in CI: 94 of its 224
  // rides). One more session reads from the committed offsets to the end of the topic, until its
  // fetches (0.5 s each) have handed it nothing for 3 s; the job has stopped, so nothing else comes.
  // At most a minute (joining the group waits out a rebalance): what it leaves stays uncommitted,
  // and the next start writes it.
  const catchUp = AbortSignal.timeout(60_000);
  const rest = await runRelay(config, { consumerGroup: relayOptions.consumerGroup, onRows: relayOptions.onRows, stopWhenIdleMs: 3_000, signal: catchUp }).catch((err: unknown) => {
    log.warn({ err: (err as Error).message }, 'the relay could not catch up after the stop; the next start writes the rest');
    return undefined;
  });
  if (rest) for (const key of Object.keys(relayCounters) as Array<keyof RelayCounters>) relayCounters[key] += rest[key];
  if (catchUp.aborted) log.warn('the relay did not catch up within a minute of the stop; the next start writes the rest');
  stopStep('the relay caught up', { written: rest?.written ?? 0 });
  clearInterval(viewer);
  options.onView?.(view());
  return { jobId, savepoint, generator, relay: relayCounters, clock: stoppedClock, recoveries };
}
