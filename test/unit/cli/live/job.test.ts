import type { ResolvedConfig } from '../../../../common/config.js';
import type { Deployment, JobMetrics } from '../../../../orchestrator/index.js';
import { LiveJob, type JobWatchBoundary } from '../../../../cli/live/job.js';

const jobConfig = { job: { parallelism: 1, consumerGroup: 'live-test' } } as unknown as ResolvedConfig;
const deployment = (jobId: string, deployedAt: string, extra: Partial<Deployment> = {}) => ({ jobId, jobName: 'live-test', deployedAt, ...extra }) as Deployment;
const metrics = (state: string) => ({ jobId: 'j', state }) as JobMetrics;

function boundary(overrides: Partial<JobWatchBoundary> = {}) {
  const deploys: Array<{ parallelism: number; savepoint: string | undefined }> = [];
  const b: JobWatchBoundary = {
    knowsJob: async () => true,
    metrics: async () => metrics('RUNNING'),
    latestCheckpoint: async (jobId) => `file:/checkpoints/${jobId}/chk-3`,
    deploy: async (config, savepoint) => {
      deploys.push({ parallelism: config.job.parallelism, savepoint });
      return deployment(`recovered-${deploys.length}`, `2025-01-01T00:0${deploys.length}:00Z`);
    },
    recorded: async () => undefined,
    ...overrides,
  };
  return { b, deploys };
}

const started = (b: JobWatchBoundary, signal = new AbortController().signal) => new LiveJob(deployment('j1', '2025-01-01T00:00:00Z'), 'live-test', jobConfig, b, signal);

describe('LiveJob', () => {
  it('keeps the metrics of each poll', async () => {
    const job = started(boundary({ metrics: async () => metrics('RUNNING') }).b);
    await job.poll();
    expect(job.metrics?.state).toBe('RUNNING');
  });

  it('resumes a job that failed for good from its latest checkpoint', async () => {
    const { b, deploys } = boundary({ metrics: async () => metrics('FAILED') });
    const job = started(b);
    await job.poll();
    expect(deploys).toEqual([{ parallelism: 1, savepoint: 'file:/checkpoints/j1/chk-3' }]);
    expect(job.jobId).toBe('recovered-1');
    expect(job.recoveries).toBe(1);
    expect(job.recovering).toBe(false);
  });

  it('resumes a job Flink no longer knows, but not one Flink could not be asked about', async () => {
    const unknown = boundary({ metrics: async () => Promise.reject(new Error('404')), knowsJob: async () => false });
    const lost = started(unknown.b);
    await lost.poll();
    expect(lost.recoveries).toBe(1);
    const away = boundary({ metrics: async () => Promise.reject(new Error('ECONNREFUSED')), knowsJob: async () => Promise.reject(new Error('ECONNREFUSED')) });
    const unanswered = started(away.b);
    await unanswered.poll();
    expect(away.deploys).toEqual([]);
    expect(unanswered.jobId).toBe('j1');
  });

  it('tries a failed recovery again at the next poll', async () => {
    let asked = 0;
    const { b, deploys } = boundary({ metrics: async () => metrics('FAILED'), latestCheckpoint: async () => (++asked === 1 ? Promise.reject(new Error('JobManager starting')) : 'file:/chk-4') });
    const job = started(b);
    await job.poll();
    expect(job.recoveries).toBe(0);
    await job.poll();
    expect(deploys).toEqual([{ parallelism: 1, savepoint: 'file:/chk-4' }]);
    expect(job.recoveries).toBe(1);
  });

  it('does not poll while a recovery is under way, nor recover once the run stops', async () => {
    let polls = 0;
    let finishDeploy: (d: Deployment) => void = () => undefined;
    const { b } = boundary({ metrics: async () => (++polls, metrics('FAILED')), deploy: () => new Promise((resolve) => (finishDeploy = resolve)) });
    const job = started(b);
    const recovering = job.poll();
    await new Promise((resolve) => setImmediate(resolve));
    expect(job.recovering).toBe(true);
    await job.poll();
    expect(polls).toBe(1);
    finishDeploy(deployment('recovered', '2025-01-01T00:05:00Z'));
    await recovering;
    expect(job.jobId).toBe('recovered');

    const stop = new AbortController();
    stop.abort();
    const stopped = boundary({ metrics: async () => metrics('FAILED') });
    await started(stopped.b, stop.signal).poll();
    expect(stopped.deploys).toEqual([]);
  });

  it('follows a job of its name redeployed later (a rescale), and recovers it at the recorded parallelism', async () => {
    const rescaled = deployment('j2', '2025-01-01T00:10:00Z', { job: { ...jobConfig.job, parallelism: 4 } });
    let state = 'FINISHED';
    const { b, deploys } = boundary({ metrics: async () => metrics(state), recorded: async () => rescaled });
    const job = started(b);
    await job.poll();
    expect(job.jobId).toBe('j2');
    state = 'FAILED';
    await job.poll();
    expect(deploys).toEqual([{ parallelism: 4, savepoint: 'file:/checkpoints/j2/chk-3' }]);
  });

  it('does not follow a recorded job of another name, the job it runs, or one deployed before it', async () => {
    for (const recorded of [
      { ...deployment('j2', '2025-01-01T00:10:00Z'), jobName: 'someone-else' },
      deployment('j1', '2025-01-01T00:10:00Z'),
      deployment('j0', '2024-12-31T23:00:00Z'),
    ]) {
      const job = started(boundary({ recorded: async () => recorded }).b);
      await expect(job.adoptRedeployed()).resolves.toBe(false);
      expect(job.jobId).toBe('j1');
    }
    await expect(started(boundary({ recorded: async () => Promise.reject(new Error('unreadable')) }).b).adoptRedeployed()).resolves.toBe(false);
  });
});
