import { fakeClock } from '../../../../common/retry.js';
import type { RelayCounters } from '../../../../orchestrator/index.js';
import { catchUpRelay, LiveRelay, superviseRelay, type RelaySession } from '../../../../cli/live/relay.js';

const counters = (written: number): RelayCounters => ({ written, retries: 1, rejected: 0, commits: 2 });
/** A session that runs until its signal aborts, as the relay does, and then reports `written`. */
const untilAborted = (written: number) => ({ signal }: { signal: AbortSignal }) => new Promise<RelayCounters>((resolve) => signal.addEventListener('abort', () => resolve(counters(written)), { once: true }));

describe('superviseRelay', () => {
  it('starts a failed relay again after 5 s, and adds up what every session did', async () => {
    const clock = fakeClock();
    const stop = new AbortController();
    const sessions: Array<{ signal: AbortSignal; stopWhenIdleMs?: number }> = [];
    const session: RelaySession = async (options) => {
      sessions.push(options);
      if (sessions.length === 1) return counters(4);
      if (sessions.length === 2) throw new Error('Cassandra away past the retry budget');
      stop.abort();
      return counters(6);
    };
    await expect(superviseRelay(session, stop.signal, clock)).resolves.toEqual({ written: 10, retries: 2, rejected: 0, commits: 4 });
    expect(sessions).toHaveLength(3);
    expect(sessions.every((s) => s.signal === stop.signal && s.stopWhenIdleMs === undefined)).toBe(true);
    expect(clock.slept).toEqual([5_000]);
  });

  it('stops on abort: a session that fails because of it is not started again', async () => {
    const clock = fakeClock();
    const stop = new AbortController();
    let calls = 0;
    const session: RelaySession = ({ signal }) => {
      calls += 1;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    };
    const supervised = superviseRelay(session, stop.signal, clock);
    stop.abort();
    await expect(supervised).resolves.toEqual({ written: 0, retries: 0, rejected: 0, commits: 0 });
    expect(calls).toBe(1);
    expect(clock.slept).toEqual([]);
  });
});

describe('LiveRelay', () => {
  it('runs its relay from construction until stop, and returns what it wrote', async () => {
    const relay = new LiveRelay(untilAborted(7), fakeClock());
    await expect(relay.stop()).resolves.toEqual(counters(7));
  });
});

describe('catchUpRelay', () => {
  it('runs one session that stops when idle for 3 s and adds what it wrote', async () => {
    const totals = counters(10);
    const signal = new AbortController().signal;
    let asked: { signal: AbortSignal; stopWhenIdleMs?: number } | undefined;
    const rest = await catchUpRelay(async (options) => ((asked = options), counters(5)), totals, signal);
    expect(asked).toEqual({ stopWhenIdleMs: 3_000, signal });
    expect(rest).toEqual(counters(5));
    expect(totals).toEqual({ written: 15, retries: 2, rejected: 0, commits: 4 });
  });

  it('leaves the rest to the next start when the session fails', async () => {
    const totals = counters(10);
    await expect(catchUpRelay(async () => Promise.reject(new Error('group join timed out')), totals, new AbortController().signal)).resolves.toBeUndefined();
    expect(totals).toEqual(counters(10));
  });

  it('is cut off by its bound', async () => {
    const bound = new AbortController();
    const catching = catchUpRelay(untilAborted(3), counters(0), bound.signal);
    bound.abort();
    await expect(catching).resolves.toEqual(counters(3));
  });
});
