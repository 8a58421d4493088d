// The pipeline's health for the page's strip: the deployed job's figures from the same code as
// `tipstream metrics` (collectJobMetrics), polled by one loop for every browser, plus events in
// per second from the change in records read between two polls.
import { EventEmitter } from 'node:events';
import type { ResolvedConfig } from '../../common/config.js';
import { describeError } from '../../common/errors.js';
import { FlinkRestClient } from '../../clients/index.js';
import { collectJobMetrics, readDeployment, type JobMetrics } from '../../orchestrator/index.js';

/** How long one poll of the job's figures may take before the strip says Flink does not answer. */
const POLL_DEADLINE_MS = 10_000;

export interface JobHealth {
  /** `no-job`: nothing deployed from here yet; `lost`: Flink answers but no longer knows the recorded job; `down`: Flink did not answer; `pending`: not polled yet. */
  status: 'up' | 'down' | 'no-job' | 'lost' | 'pending';
  flinkUrl: string;
  checkedAt: string;
  error?: string;
  /** Rides and fares read by the job's sources per second, over the last poll interval. */
  eventsInPerSecond: number | null;
  /** The last figures read; kept when Flink stops answering, so the page can show them as stale. */
  metrics: JobMetrics | null;
}

export class JobHealthMonitor extends EventEmitter<{ health: [JobHealth] }> {
  private readonly flink: FlinkRestClient;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private previousRead: { at: number; records: number; jobId: string } | undefined;
  private latest: JobHealth;

  constructor(private readonly config: ResolvedConfig, private readonly pollIntervalMs: number) {
    super();
    this.flink = new FlinkRestClient(config.flink.restUrl);
    this.latest = { status: 'pending', flinkUrl: config.flink.restUrl, checkedAt: new Date(0).toISOString(), eventsInPerSecond: null, metrics: null };
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
      this.previousRead = undefined;
      next = { ...base, status: 'down', error: describeError(err), eventsInPerSecond: null, metrics: this.latest.metrics };
    }
    clearTimeout(timer);
    this.latest = next;
    this.emit('health', next);
  }

  private async readJob(base: { flinkUrl: string; checkedAt: string }): Promise<JobHealth> {
    const deployment = await readDeployment(this.config);
    if (!deployment) return { ...base, status: 'no-job', eventsInPerSecond: null, metrics: null };
    if (!(await this.flink.knowsJob(deployment.jobId))) {
      const error = `the recorded job ${deployment.jobId} is not on the cluster (a restarted JobManager forgets its jobs: \`tipstream deploy --resume\`)`;
      return { ...base, status: 'lost', error, eventsInPerSecond: null, metrics: this.latest.metrics };
    }
    const metrics = await collectJobMetrics(this.flink, deployment.jobId);
    return { ...base, status: 'up', eventsInPerSecond: this.rate(metrics), metrics };
  }

  private rate(metrics: JobMetrics): number | null {
    if (metrics.ridesRead === null || metrics.faresRead === null) return null;
    const now = { at: Date.now(), records: metrics.ridesRead + metrics.faresRead, jobId: metrics.jobId };
    const before = this.previousRead;
    this.previousRead = now;
    if (!before || before.jobId !== now.jobId || now.records < before.records) return null;
    return ((now.records - before.records) * 1000) / Math.max(1, now.at - before.at);
  }
}
