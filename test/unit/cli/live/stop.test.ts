import { InfrastructureError } from '../../../../common/errors.js';
import { fakeClock } from '../../../../common/retry.js';
import type { GeneratorSummary } from '../../../../generator/index.js';
import type { RelayCounters } from '../../../../orchestrator/index.js';
import { stopLive, type StoppingRun } from '../../../../cli/live/stop.js';
import { fakeFlink, jobDetails } from './fakes.js';

const generator = { sent: 1234 } as unknown as GeneratorSummary;
const relayCounters = (written: number): RelayCounters => ({ written, retries: 0, rejected: 0, commits: 1 });

/** A live run whose parts say, in `calls`, when the stop called them. */
function stoppingRun(overrides: Partial<StoppingRun> = {}) {
  const calls: string[] = [];
  const wall = fakeClock(100_000);
  const { flink, triggers } = fakeFlink({ stopWithSavepoint: async () => (calls.push('savepoint'), 'file:/sp-9') });
  const job = { jobId: 'j1', recovering: false, recoveries: 2, adoptRedeployed: async () => false };
  const run: StoppingRun = {
    clock: () => (calls.push('clock'), 5_000_000),
    heartbeat: { stop: async () => void calls.push('heartbeats stop') },
    job,
    flink,
    record: { stop: async (state) => void calls.push(`record ${JSON.stringify(state)}`) },
    written: { lastRowsAt: 99_000 },
    relay: {
      stop: async () => (calls.push('relay stop'), relayCounters(40)),
      catchUp: async (totals) => (calls.push('relay catch up'), (totals.written += 2), relayCounters(2)),
    },
    viewer: { stop: () => void calls.push('view stop'), show: () => void calls.push('view shown') },
    stopStep: (step, fields) => void calls.push(`step: ${step}${fields ? ` ${JSON.stringify(fields)}` : ''}`),
    wall,
    ...overrides,
  };
  return { run, calls, wall, job, triggers };
}

describe('stopLive', () => {
  it('stops the heartbeats, the job with a savepoint, records it, then the relay once quiet, then catches up, logging each step', async () => {
    const { run, calls, wall } = stoppingRun();
    const summary = await stopLive(run, generator);
    expect(calls).toEqual([
      'step: the generator stopped {"sent":1234}',
      'clock',
      'heartbeats stop',
      'step: the heartbeats stopped',
      'step: taking a savepoint {"jobId":"j1"}',
      'savepoint',
      'step: the job stopped with a savepoint {"savepoint":"file:/sp-9"}',
      'record {"savepoint":"file:/sp-9","clock":5000000,"jobId":"j1"}',
      'relay stop',
      'step: the relay stopped {"written":40}',
      'relay catch up',
      'step: the relay caught up {"written":2}',
      'view stop',
      'view shown',
    ]);
    expect(summary).toEqual({ jobId: 'j1', savepoint: 'file:/sp-9', generator, relay: { ...relayCounters(42) }, clock: 5_000_000, recoveries: 2 });
    // The relay is stopped only once it has had nothing new for 3 s since the savepoint.
    expect(wall.now()).toBe(103_000);
  });

  it('waits for a recovery under way and takes the savepoint of the job it deployed', async () => {
    const wall = fakeClock(100_000);
    // The recovery deploys its job 750 ms into the stop.
    const job = {
      get recovering() {
        return wall.now() < 100_750;
      },
      get jobId() {
        return wall.now() < 100_750 ? 'j1' : 'j-recovered';
      },
      recoveries: 0,
      adoptRedeployed: async () => false,
    };
    const { run, calls, triggers } = stoppingRun({ job, wall });
    await stopLive(run, generator);
    expect(calls).toContain('step: waiting for the recovery under way');
    expect(wall.slept.slice(0, 3)).toEqual([250, 250, 250]);
    expect(triggers.map((t) => t.jobId)).toEqual(['j-recovered']);
  });

  it('follows a job a rescale under way starts, and stops that one', async () => {
    const job = { jobId: 'j1', recovering: false, recoveries: 0, adoptRedeployed: async () => false };
    let asked = 0;
    job.adoptRedeployed = async () => (++asked === 2 ? (Object.assign(job, { jobId: 'j-rescaled' }), true) : false);
    const { flink, triggers } = fakeFlink({ job: async (jobId) => (jobId === 'j1' ? jobDetails('FINISHED', 'FINISHED') : jobDetails('RUNNING', 'RUNNING')) });
    const { run, wall } = stoppingRun({ job, flink });
    await stopLive(run, generator);
    expect(wall.slept[0]).toBe(500);
    expect(triggers.map((t) => t.jobId)).toEqual(['j-rescaled']);
  });

  it('when the savepoint fails: stops the view and the relay, records nothing, and says the job still runs', async () => {
    const { flink } = fakeFlink({ stopWithSavepoint: async () => Promise.reject(new InfrastructureError('TIPSTREAM_TIMEOUT', 'the savepoint of job j1 did not complete within 240 s')) });
    const { run, calls } = stoppingRun({ flink });
    await expect(stopLive(run, generator)).rejects.toThrow('stopping the live job j1 with a savepoint failed; it is still running (tipstream stop --savepoint)');
    expect(calls.slice(-3)).toEqual(['step: taking a savepoint {"jobId":"j1"}', 'view stop', 'relay stop']);
  });

  it('gives a relay that keeps writing at most two minutes before stopping it', async () => {
    const { run, wall } = stoppingRun();
    // Rows come in at every look.
    run.written = {
      get lastRowsAt() {
        return wall.now();
      },
    };
    await stopLive(run, generator);
    expect(wall.now()).toBe(100_000 + 120_000);
  });
});
