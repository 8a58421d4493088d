// The supervisor's restart policy: back-off that doubles per recent restart, and a limit for a
// service that keeps dying.
import { DEFAULT_RESTART_POLICY, restartDecision, superviseStep, type RestartPolicy, type SupervisedState } from '../../../stack/supervisor.js';

const policy: RestartPolicy = { firstBackoffMs: 1_000, maxBackoffMs: 8_000, crashLoopRestarts: 3, crashLoopWindowMs: 60_000 };

describe('restart decisions', () => {
  it('waits the first back-off after a death, then restarts', () => {
    expect(restartDecision([], 10_000, 10_500, policy)).toEqual({ action: 'wait', untilMs: 11_000 });
    expect(restartDecision([], 10_000, 11_000, policy)).toEqual({ action: 'restart' });
  });

  it('doubles the back-off for each restart in the window, up to the maximum', () => {
    expect(restartDecision([5_000], 10_000, 10_000, policy)).toEqual({ action: 'wait', untilMs: 12_000 });
    expect(restartDecision([5_000, 6_000], 10_000, 10_000, policy)).toEqual({ action: 'wait', untilMs: 14_000 });
    const wide: RestartPolicy = { ...policy, crashLoopRestarts: 10 };
    expect(restartDecision([1, 2, 3, 4, 5], 10_000, 10_000, wide)).toEqual({ action: 'wait', untilMs: 18_000 });
  });

  it('gives up on a service restarted too often within the window (a crash loop)', () => {
    expect(restartDecision([1_000, 2_000, 3_000], 4_000, 4_000, policy)).toEqual({ action: 'give-up' });
  });

  it('forgets restarts older than the window', () => {
    expect(restartDecision([1_000, 2_000, 3_000], 100_000, 101_000, policy)).toEqual({ action: 'restart' });
  });

  it('has sane defaults: a first restart within seconds, a loop limit within minutes', () => {
    expect(DEFAULT_RESTART_POLICY.firstBackoffMs).toBeLessThanOrEqual(2_000);
    expect(DEFAULT_RESTART_POLICY.crashLoopRestarts).toBeGreaterThanOrEqual(3);
  });
});

describe('one supervision round', () => {
  /** A process the test kills and starts; restarts by the supervisor are counted. */
  function target() {
    const t = { running: true, restarts: 0, pid: 100 };
    return {
      t,
      supervisable: {
        name: 'udf-service',
        alive: () => t.running,
        answers: async () => t.running,
        restart: async () => {
          t.restarts += 1;
          t.running = true;
          t.pid += 1;
          return t.pid;
        },
        logFile: '/dev/null',
      },
    };
  }
  const immediate: RestartPolicy = { ...policy, firstBackoffMs: 0, maxBackoffMs: 0 };

  it('leaves a crash loop down, and supervises again from a clean slate a process someone started anew', async () => {
    const { t, supervisable } = target();
    const entry: SupervisedState = { state: 'up', restarts: [] };
    // Dies right after each restart, three times: a crash loop, left down.
    for (let round = 0; round < 10 && entry.state !== 'crash-loop'; round += 1) {
      t.running = false;
      await superviseStep(entry, immediate, supervisable);
    }
    expect(entry.state).toBe('crash-loop');
    expect(t.restarts).toBe(3);
    t.running = false;
    expect(await superviseStep(entry, immediate, supervisable)).toBe(false);
    expect(t.restarts).toBe(3);

    // `start` (or `stack up`) runs it again: supervised again, its old restarts forgotten.
    t.running = true;
    expect(await superviseStep(entry, immediate, supervisable)).toBe(true);
    expect(entry).toMatchObject({ state: 'up', restarts: [] });
    t.running = false;
    await superviseStep(entry, immediate, supervisable);
    expect(t.restarts).toBe(4);
    expect(entry.state).toBe('restarting');
    await superviseStep(entry, immediate, supervisable);
    expect(entry.state).toBe('up');
  });
});
