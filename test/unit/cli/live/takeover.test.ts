import { stateToResumeFrom } from '../../../../cli/live/takeover.js';
import { fakeFlink, jobDetails } from './fakes.js';

const killed = { jobId: 'old-job', clock: 1_000, running: true as const };
const checkpointAt = (path: string) => async () => ({ latest: { completed: { external_path: path } } });

describe('stateToResumeFrom', () => {
  it('resumes a clean stop from its savepoint, asking Flink nothing', async () => {
    const { flink, triggers } = fakeFlink({ job: async () => Promise.reject(new Error('asked Flink')) });
    await expect(stateToResumeFrom(flink, { savepoint: 'file:/sp-clean', clock: 1_000, jobId: 'old-job' })).resolves.toBe('file:/sp-clean');
    expect(triggers).toEqual([]);
  });

  it('takes over the job of a killed run that still runs: stops it with a savepoint and resumes from that', async () => {
    const { flink, triggers } = fakeFlink({ stopWithSavepoint: async () => 'file:/sp-taken-over', checkpoints: checkpointAt('file:/chk-9') });
    await expect(stateToResumeFrom(flink, { ...killed, savepoint: 'file:/sp-older' })).resolves.toBe('file:/sp-taken-over');
    expect(triggers.map((t) => t.jobId)).toEqual(['old-job']);
  });

  it('resumes a killed run whose job is gone from that job\'s latest checkpoint', async () => {
    const { flink, triggers } = fakeFlink({ job: async () => Promise.reject(new Error('404')), checkpoints: checkpointAt('file:/chk-9') });
    await expect(stateToResumeFrom(flink, { ...killed, savepoint: 'file:/sp-older' })).resolves.toBe('file:/chk-9');
    expect(triggers).toEqual([]);
  });

  it('resumes a killed run whose job failed and left no checkpoint from the older savepoint, else from nothing', async () => {
    const { flink } = fakeFlink({ job: async () => jobDetails('FAILED', 'FAILED') });
    await expect(stateToResumeFrom(flink, { ...killed, savepoint: 'file:/sp-older' })).resolves.toBe('file:/sp-older');
    await expect(stateToResumeFrom(flink, killed)).resolves.toBeUndefined();
  });
});
