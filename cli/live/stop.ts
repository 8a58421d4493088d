// Live mode's stop, once the generator has stopped: the last heartbeat, then the job with a
// savepoint (its results so far committed), then the relay once it has written them. Each step
// is logged with the time since Ctrl-C: a stop that takes long says where.
import { InfrastructureError } from '../../common/errors.js';
import { childLogger } from '../../common/logger.js';
import { pollUntil, systemClock, type Clock } from '../../common/retry.js';
import type { GeneratorSummary } from '../../generator/index.js';
import type { RelayCounters } from '../../orchestrator/index.js';
import { stopWithSavepointWhenRunning, type SavepointFlink } from './savepoint.js';
import type { LiveState } from './state.js';

const log = childLogger('live');

export type StopStep = (step: string, fields?: Record<string, unknown>) => void;

/** Logs a step of the stop with the time since `signal` aborted (Ctrl-C). */
export function stopStepLog(signal: AbortSignal, wallNow: () => number = Date.now): StopStep {
  let stopAskedAt = 0;
  signal.addEventListener('abort', () => (stopAskedAt = wallNow()), { once: true });
  return (step, fields = {}) => log.info({ ...fields, sinceCtrlCMs: stopAskedAt ? wallNow() - stopAskedAt : undefined }, `stopping: ${step}`);
}

/** The parts of a live run the stop stops, each by what the stop asks of it. */
export interface StoppingRun {
  clock: () => number;
  heartbeat: { stop(): Promise<void> };
  job: { readonly jobId: string; readonly recovering: boolean; readonly recoveries: number; adoptRedeployed(): Promise<boolean> };
  flink: SavepointFlink;
  record: { stop(state: Required<Pick<LiveState, 'savepoint' | 'clock' | 'jobId'>>): Promise<void> };
  written: { readonly lastRowsAt: number };
  relay: { stop(): Promise<RelayCounters>; catchUp(totals: RelayCounters): Promise<RelayCounters | undefined> };
  viewer: { stop(): void; show(): void };
  stopStep: StopStep;
  /** The wall clock the waits run on. */
  wall?: Clock;
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

export async function stopLive(run: StoppingRun, generator: GeneratorSummary): Promise<LiveSummary> {
  const { job, relay, viewer, stopStep } = run;
  const wall = run.wall ?? systemClock;
  stopStep('the generator stopped', { sent: generator.sent });

  const stoppedClock = run.clock();
  await run.heartbeat.stop();
  stopStep('the heartbeats stopped');
  // A recovery under way finishes first (it deploys the job the savepoint is taken of).
  if (job.recovering) stopStep('waiting for the recovery under way');
  await pollUntil('the live job\'s recovery', async () => !job.recovering || undefined, { timeoutMs: 300_000, intervalMs: 250, clock: wall, onTimeout: 'return' });
  // Stopped by a rescale under way: the job it starts is the one to stop.
  if ((await run.flink.job(job.jobId).catch(() => undefined))?.state === 'FINISHED') {
    await pollUntil('the rescaled live job', async () => (await job.adoptRedeployed()) || undefined, { timeoutMs: 300_000, intervalMs: 500, clock: wall, onTimeout: 'return' });
  }
  let savepoint: string;
  stopStep('taking a savepoint', { jobId: job.jobId });
  try {
    savepoint = await stopWithSavepointWhenRunning(run.flink, job.jobId, { clock: wall });
  } catch (cause) {
    viewer.stop();
    await relay.stop();
    throw new InfrastructureError('TIPSTREAM_START', `stopping the live job ${job.jobId} with a savepoint failed; it is still running (tipstream stop --savepoint)`, { cause });
  }
  stopStep('the job stopped with a savepoint', { savepoint });
  await run.record.stop({ savepoint, clock: stoppedClock, jobId: job.jobId });
  // The results of the final checkpoint reach the topic with the savepoint: give the relay until
  // it has had nothing new for 3 s.
  const stoppedAt = wall.now();
  await pollUntil('the relay going quiet', async () => wall.now() - Math.max(run.written.lastRowsAt, stoppedAt) >= 3_000 || undefined, { timeoutMs: 120_000, intervalMs: 250, clock: wall, onTimeout: 'return' });
  const relayCounters = await relay.stop();
  stopStep('the relay stopped', { written: relayCounters.written });
  const rest = await relay.catchUp(relayCounters);
  stopStep('the relay caught up', { written: rest?.written ?? 0 });
  viewer.stop();
  viewer.show();
  return { jobId: job.jobId, savepoint, generator, relay: relayCounters, clock: stoppedClock, recoveries: job.recoveries };
}
