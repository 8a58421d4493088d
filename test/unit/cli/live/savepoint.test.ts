import { InfrastructureError } from '../../../../common/errors.js';
import { fakeClock } from '../../../../common/retry.js';
import { stopWithSavepointWhenRunning, unrestorable } from '../../../../cli/live/savepoint.js';
import { fakeFlink, jobDetails } from './fakes.js';

const refused = () => new InfrastructureError('TIPSTREAM_UNREACHABLE', 'stopping job j1 with a savepoint failed against Flink (HTTP 500)', { retriable: true });

describe('stopWithSavepointWhenRunning', () => {
  it('waits until every task runs, then triggers with what is left of the four minutes', async () => {
    const clock = fakeClock();
    let reads = 0;
    const { flink, triggers } = fakeFlink({ job: async () => (++reads <= 2 ? jobDetails('RUNNING', 'RUNNING', 'INITIALIZING') : jobDetails('RUNNING', 'RUNNING', 'RUNNING')) });
    await expect(stopWithSavepointWhenRunning(flink, 'j1', { clock })).resolves.toBe('file:/savepoints/savepoint-1');
    expect(clock.slept).toEqual([1_000, 1_000]);
    expect(triggers).toEqual([{ jobId: 'j1', timeoutMs: 238_000 }]);
  });

  it('tries again once a second while Flink refuses', async () => {
    const clock = fakeClock();
    let tries = 0;
    const { flink, triggers } = fakeFlink({ stopWithSavepoint: async () => (++tries <= 2 ? Promise.reject(refused()) : 'file:/savepoints/savepoint-3') });
    await expect(stopWithSavepointWhenRunning(flink, 'j1', { clock })).resolves.toBe('file:/savepoints/savepoint-3');
    expect(triggers).toHaveLength(3);
    expect(clock.slept).toEqual([1_000, 1_000]);
  });

  it('tries again after a savepoint that failed while the job still runs', async () => {
    const clock = fakeClock();
    let tries = 0;
    const failed = new InfrastructureError('TIPSTREAM_START', 'the savepoint of job j1 failed: the sink could not flush');
    const { flink, triggers } = fakeFlink({ stopWithSavepoint: async () => (++tries === 1 ? Promise.reject(failed) : 'file:/savepoints/savepoint-2') });
    await expect(stopWithSavepointWhenRunning(flink, 'j1', { clock })).resolves.toBe('file:/savepoints/savepoint-2');
    expect(triggers).toHaveLength(2);
  });

  it('follows a savepoint in progress to the deadline and never triggers a second one', async () => {
    const clock = fakeClock();
    const { flink, triggers } = fakeFlink({
      stopWithSavepoint: async (jobId, timeoutMs) => {
        await clock.sleep(timeoutMs);
        throw new InfrastructureError('TIPSTREAM_TIMEOUT', `the savepoint of job ${jobId} did not complete within ${timeoutMs / 1000} s`);
      },
    });
    await expect(stopWithSavepointWhenRunning(flink, 'j1', { clock })).rejects.toMatchObject({ code: 'TIPSTREAM_TIMEOUT' });
    expect(triggers).toEqual([{ jobId: 'j1', timeoutMs: 240_000 }]);
    expect(clock.now()).toBe(240_000);
  });

  it('does not trigger again after a savepoint that did not complete, even before the deadline', async () => {
    const clock = fakeClock();
    const { flink, triggers } = fakeFlink({ stopWithSavepoint: async () => Promise.reject(new InfrastructureError('TIPSTREAM_TIMEOUT', 'the savepoint of job j1 did not complete within 60 s')) });
    await expect(stopWithSavepointWhenRunning(flink, 'j1', { clock })).rejects.toThrow(/did not complete within 60 s/);
    expect(triggers).toHaveLength(1);
    expect(clock.slept).toEqual([]);
  });

  it('gives up at its deadline while Flink keeps refusing', async () => {
    const clock = fakeClock();
    const { flink, triggers } = fakeFlink({ stopWithSavepoint: async () => Promise.reject(refused()) });
    await expect(stopWithSavepointWhenRunning(flink, 'j1', { clock, timeoutMs: 10_000 })).rejects.toMatchObject({ code: 'TIPSTREAM_TIMEOUT', cause: expect.objectContaining({ code: 'TIPSTREAM_UNREACHABLE' }) });
    expect(triggers).toHaveLength(10);
    expect(clock.now()).toBe(10_000);
  });

  it('fails at once, without a trigger, for a job that ended', async () => {
    const clock = fakeClock();
    const { flink, triggers } = fakeFlink({ job: async () => jobDetails('FAILED', 'FAILED') });
    await expect(stopWithSavepointWhenRunning(flink, 'j1', { clock })).rejects.toThrow('job j1 is FAILED: no savepoint can be taken of it');
    expect(triggers).toEqual([]);
    expect(clock.slept).toEqual([]);
  });
});

describe('unrestorable', () => {
  const mismatch = new Error('Cannot map checkpoint/savepoint state for operator abc to the new program');

  it('tells how to start over when the savepoint is of another program', () => {
    expect(() => unrestorable('file:/sp-1', '/state/tipstream-live.json')(mismatch)).toThrow(/savepoint file:\/sp-1 was taken by a different job .* delete \/state\/tipstream-live.json to start over/);
  });

  it('passes any other failure, and any failure of a fresh deploy, on as it is', () => {
    const other = new Error('no slots');
    expect(() => unrestorable('file:/sp-1', 'f')(other)).toThrow(other);
    expect(() => unrestorable(undefined, 'f')(mismatch)).toThrow(mismatch);
  });
});
