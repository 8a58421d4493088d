// The pipeline's health for the page's strip: the deployed job's figures from the same code as
// `tipstream metrics` (collectJobMetrics), polled by one loop for every browser, plus events in
// per second and the watermark's lag measured as live mode's terminal measures them while a live
// run records itself (pipeline-pace.ts), else from the job's counts and the wall clock.
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ResolvedConfig } from '../../common/config.js';
import { describeError } from '../../common/errors.js';
import { FlinkRestClient } from '../../clients/index.js';
import { collectJobMetrics, readDeployment, type Deployment, type JobMetrics } from '../../orchestrator/index.js';
import { liveStateFile } from '../live/index.js';
import { CounterRate, LIVE_RECORD_FRESH_MS, liveClockAt, watermarkLagSeconds, type LiveRecord } from './pipeline-pace.js';
import { flinkRestOptions } from '../../common/client-options.js';

/** Health is read from Flink this often for all browsers together. */
export const HEALTH_INTERVAL_MS = 2_000;
/** How long one poll of the job's figures may take before the strip says Flink does not answer. */
const POLL_DEADLINE_MS = 10_000;

export interface JobHealth {
  /** `no-job`: nothing deployed from here yet; `lost`: Flink answers but no longer knows the recorded job; `down`: Flink did not answer; `pending`: not polled yet. */
  status: 'up' | 'down' | 'no-job' | 'lost' | 'pending';
  flinkUrl: string;
  checkedAt: string;
  error?: string;
  /** Events in per second: what a running live run's generator sent (as its terminal counts them), else what the job's sources read. */
  eventsInPerSecond: number | null;
  /** Seconds of event time the window watermark trails the clock: live mode's clock for a live job, else the wall's. */
  watermarkLagSeconds: number | null;
  /** Which clock and which count: `live` while a live run records itself, `job` otherwise. */
  pace: 'live' | 'job';
  /** The last figures read; kept when Flink stops answering, so the page can show them as stale. */
  metrics: JobMetrics | null;
}

export class JobHealthMonitor extends EventEmitter<{ health: [JobHealth] }> {
  private readonly flink: FlinkRestClient;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  // Flink refreshes its counts every 10 s: a count standing still for 15 s means nothing flows.
  private readonly jobRate = new CounterRate(15_000);
  // Live mode writes its record every second: the same count at a later time means nothing was sent.
  private readonly liveRate = new CounterRate(0);
  private latest: JobHealth;

  constructor(private readonly config: ResolvedConfig, private readonly pollIntervalMs: number) {
    super();
    this.flink = new FlinkRestClient(flinkRestOptions(config));
    this.latest = { status: 'pending', flinkUrl: config.flink.restUrl, checkedAt: new Date(0).toISOString(), eventsInPerSecond: null, watermarkLagSeconds: null, pace: 'job', metrics: null };
  }

  get health(): JobHealth {
    return this.latest;
  }

  /** Polls now and then on every interval; never waits for Flink, which may hang while its JobManager restarts. */
  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.pollIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  private poll(): Promise<void> {
    this.polling ??= this.read().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async read(): Promise<void> {
    const checkedAt = new Date().toISOString();
    const base = { flinkUrl: this.config.flink.restUrl, checkedAt };
    let next: JobHealth;
    let timer: NodeJS.Timeout | undefined;
    // A poll is a dozen requests; with Flink accepting connections but not answering, each would
    // wait out the client's timeout, and the strip would say nothing for minutes.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Flink did not answer within ${POLL_DEADLINE_MS / 1000} s`)), POLL_DEADLINE_MS);
    });
    try {
      next = await Promise.race([this.readJob(base), deadline]);
    } catch (err) {
      this.jobRate.reset();
      next = { ...base, status: 'down', error: describeError(err), eventsInPerSecond: null, watermarkLagSeconds: null, pace: 'job', metrics: this.latest.metrics };
    }
    clearTimeout(timer);
    this.latest = next;
    this.emit('health', next);
  }

  private async readJob(base: { flinkUrl: string; checkedAt: string }): Promise<JobHealth> {
    const deployment = await readDeployment(this.config);
    const quiet = { eventsInPerSecond: null, watermarkLagSeconds: null, pace: 'job' } as const;
    if (!deployment) return { ...base, status: 'no-job', ...quiet, metrics: null };
    if (!(await this.flink.knowsJob(deployment.jobId))) {
      const error = `the recorded job ${deployment.jobId} is not on the cluster (a restarted JobManager forgets its jobs: \`tipstream deploy --resume\`)`;
      return { ...base, status: 'lost', error, ...quiet, metrics: this.latest.metrics };
    }
    const metrics = await collectJobMetrics(this.flink, deployment.jobId);
    const now = Date.now();
    const live = await this.liveRecord(deployment, now);
    if (live) {
      const lag = watermarkLagSeconds(metrics.windowWatermark, liveClockAt(live, now));
      return { ...base, status: 'up', eventsInPerSecond: this.liveRate.sample(live.wallAt, live.eventsSent, `${live.jobId}@${live.speedup}`), watermarkLagSeconds: lag, pace: 'live', metrics };
    }
    // A live job without its run (killed): its deploy-time clock, which is ahead by the deploy's seconds times the speedup.
    const clockNow = deployment.clock ? liveClockAt({ clock: deployment.clock.eventAt, wallAt: deployment.clock.wallAt, speedup: deployment.clock.speedup }, now) : now;
    return { ...base, status: 'up', eventsInPerSecond: this.jobEventsPerSecond(metrics, now), watermarkLagSeconds: watermarkLagSeconds(metrics.windowWatermark, clockNow), pace: 'job', metrics };
  }

  private jobEventsPerSecond(metrics: JobMetrics, now: number): number | null {
    if (metrics.ridesRead === null || metrics.faresRead === null) return null;
    return this.jobRate.sample(now, metrics.ridesRead + metrics.faresRead, metrics.jobId);
  }

  /** The record of the live run that runs the deployed job, written within the last few seconds; else undefined. */
  private async liveRecord(deployment: Deployment, now: number): Promise<LiveRecord | undefined> {
    if (!deployment.clock) return undefined;
    const text = await readFile(liveStateFile(this.config, deployment.jobName), 'utf8').catch(() => undefined);
    // Read while live mode rewrites it, the file may be cut short: that poll goes without.
    const parsed = text === undefined ? undefined : liveRecordSchema.safeParse(parseJson(text));
    if (!parsed?.success) return undefined;
    const record = parsed.data;
    if (record.jobId !== deployment.jobId || now - record.wallAt > LIVE_RECORD_FRESH_MS) return undefined;
    return record;
  }
}

/** The running form of live mode's state file; a stopped run's record (no `running`) does not parse. */
const liveRecordSchema = z.object({ running: z.literal(true), jobId: z.string(), clock: z.number(), wallAt: z.number(), speedup: z.number().positive(), eventsSent: z.number().int().min(0) });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
