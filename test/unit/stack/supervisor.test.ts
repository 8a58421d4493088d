// The supervisor's restart policy: back-off that doubles per recent restart, and a limit for a
// service that keeps dying.
import { DEFAULT_RESTART_POLICY, restartDecision, type RestartPolicy } from '../../../stack/supervisor.js';

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
