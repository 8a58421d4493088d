// Fake boundaries for live mode's parts: a Flink REST client that answers from a script.
import type { FlinkRestClient, JobDetails, JobState } from '../../../../clients/index.js';

export function jobDetails(state: JobState, ...statuses: string[]): JobDetails {
  return { jid: 'job', name: 'tipstream-live', state, 'start-time': 0, duration: 0, vertices: statuses.map((status, i) => ({ id: `v${i}`, name: `vertex ${i}`, parallelism: 1, status, metrics: { 'read-records': 0, 'write-records': 0 } })) };
}

/** Flink as live mode sees it; `triggers` lists the savepoints asked for, with the time each was given. */
export function fakeFlink(answers: { job?: (jobId: string) => Promise<JobDetails>; stopWithSavepoint?: (jobId: string, timeoutMs: number) => Promise<string>; checkpoints?: () => Promise<unknown>; clusterConfig?: () => Promise<Record<string, string>> }) {
  const triggers: Array<{ jobId: string; timeoutMs: number }> = [];
  const flink = {
    baseUrl: 'http://flink:8081',
    job: answers.job ?? (async () => jobDetails('RUNNING', 'RUNNING')),
    stopWithSavepoint: async (jobId: string, _dir: string | undefined, timeoutMs = 300_000) => {
      triggers.push({ jobId, timeoutMs });
      return (answers.stopWithSavepoint ?? (async () => 'file:/savepoints/savepoint-1'))(jobId, timeoutMs);
    },
    checkpoints: answers.checkpoints ?? (async () => Promise.reject(new Error('unknown job'))),
    clusterConfig: answers.clusterConfig ?? (async () => ({})),
  };
  // The parts take the real client; these are the methods they call.
  return { flink: flink as unknown as FlinkRestClient, triggers };
}
