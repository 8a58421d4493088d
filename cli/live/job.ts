// The live job while the run runs: deployed on the live clock, its metrics polled every 2 s, a
// job lost or failed for good resumed from its latest checkpoint, a job redeployed from elsewhere
// (a rescale, an upgrade) followed.
import type { ResolvedConfig } from '../../common/config.js';
import { childLogger } from '../../common/logger.js';
import { createProgress } from '../../common/progress.js';
import type { FlinkRestClient } from '../../clients/index.js';
import { collectJobMetrics, deployJob, latestCheckpoint, readDeployment, type Deployment, type JobMetrics } from '../../orchestrator/index.js';
import type { LiveClock } from './clock.js';

const log = childLogger('live');

/** Deploys the live job (unbounded, on the live clock) with `config`, from `savepoint` when there is one. */
export type LiveDeploy = (config: ResolvedConfig, savepoint?: string) => Promise<Deployment>;

export function liveDeploy(jobName: string, clock: LiveClock): LiveDeploy {
  return (config, savepoint) => deployJob(config, { bounded: false, jobName, clock: clock.jobClock, ...(savepoint ? { savepoint } : {}) }, createProgress(false));
}

/** What watching the job asks of Flink and of the deployment record. */
export interface JobWatchBoundary {
  knowsJob(jobId: string): Promise<boolean>;
  metrics(jobId: string): Promise<JobMetrics>;
  latestCheckpoint(jobId: string): Promise<string>;
  deploy: LiveDeploy;
  /** The deployment recorded last (by this run, a rescale or an upgrade). */
  recorded(): Promise<Deployment | undefined>;
}

export function flinkBoundary(flink: FlinkRestClient, deploy: LiveDeploy, jobConfig: ResolvedConfig): JobWatchBoundary {
  return {
    knowsJob: (jobId) => flink.knowsJob(jobId),
    metrics: (jobId) => collectJobMetrics(flink, jobId),
    latestCheckpoint: (jobId) => latestCheckpoint(flink, jobId),
    deploy,
    recorded: () => readDeployment(jobConfig),
  };
}

export class LiveJob {
  jobId: string;
  recoveries = 0;
  recovering = false;
  metrics: JobMetrics | undefined;
  private deployedAt: string;
  private runningConfig: ResolvedConfig;
  private poller: NodeJS.Timeout | undefined;

  constructor(
    deployment: Deployment,
    private readonly name: string,
    private readonly jobConfig: ResolvedConfig,
    private readonly boundary: JobWatchBoundary,
    /** Aborted: the run stops, and a lost job is not recovered any more. */
    private readonly signal: AbortSignal,
  ) {
    this.jobId = deployment.jobId;
    this.deployedAt = deployment.deployedAt;
    this.runningConfig = jobConfig;
  }

  // A rescale (`tipstream rescale`, orchestrator/rescale.ts) or an upgrade from elsewhere stops
  // this run's job with a savepoint and records the job it starts from it: this run follows that
  // job, and recovers it at its own parallelism.
  readonly adoptRedeployed = async (): Promise<boolean> => {
    const recorded = await this.boundary.recorded().catch(() => undefined);
    if (!recorded || recorded.jobName !== this.name || recorded.jobId === this.jobId || Date.parse(recorded.deployedAt) <= Date.parse(this.deployedAt)) return false;
    log.info({ from: this.jobId, to: recorded.jobId, parallelism: recorded.job?.parallelism }, 'the live job was redeployed from a savepoint (a rescale or an upgrade); following the new job');
    this.jobId = recorded.jobId;
    this.deployedAt = recorded.deployedAt;
    if (recorded.job) this.runningConfig = { ...this.jobConfig, job: { ...this.jobConfig.job, parallelism: recorded.job.parallelism } };
    return true;
  };

  // A job the cluster lost, or that failed for good, is started again from its latest completed
  // checkpoint; until that works (a JobManager still starting, no slots yet) the next poll tries again.
  async recover(reason: string): Promise<void> {
    if (this.recovering || this.signal.aborted) return;
    this.recovering = true;
    try {
      const checkpoint = await this.boundary.latestCheckpoint(this.jobId);
      log.warn({ jobId: this.jobId, reason, checkpoint }, 'the live job is gone; resuming it from its latest checkpoint');
      const recovered = await this.boundary.deploy(this.runningConfig, checkpoint);
      this.jobId = recovered.jobId;
      this.deployedAt = recovered.deployedAt;
      this.recoveries += 1;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'resuming the live job failed; trying again');
    } finally {
      this.recovering = false;
    }
  }

  /** One poll of the job's metrics, acting on what it finds; resolves once that is done. */
  poll(): Promise<void> {
    if (this.recovering) return Promise.resolve();
    return this.boundary.metrics(this.jobId).then(
      async (m) => {
        this.metrics = m;
        if (m.state === 'FAILED') await this.recover('the job failed');
        else if (m.state === 'FINISHED' || m.state === 'CANCELED') await this.adoptRedeployed();
      },
      (err: unknown) => {
        log.debug({ err }, 'metrics unavailable');
        return this.boundary.knowsJob(this.jobId).then(
          (known) => (known ? undefined : this.recover('Flink no longer knows the job')),
          () => undefined,
        );
      },
    );
  }

  /** Polls every 2 s until `stopWatching()`. */
  watch(): void {
    this.poller = setInterval(() => void this.poll(), 2_000);
  }

  stopWatching(): void {
    clearInterval(this.poller);
  }
}
