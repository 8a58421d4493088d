import { InfrastructureError, UserError } from '../../../common/errors.js';
import { abortedWith, fakeClock, isRetriable, pollUntil, retry, within } from '../../../common/retry.js';

describe('pollUntil', () => {
  it('returns what the check found once it finds something', async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(pollUntil('thing', async () => (++calls >= 3 ? 'ready' : undefined), { timeoutMs: 5000, intervalMs: 10, clock })).resolves.toBe('ready');
    expect(calls).toBe(3);
    expect(clock.slept).toEqual([10, 10]);
  });

  it('times out naming what it waited for, with the last failure as the cause', async () => {
    const clock = fakeClock();
    const failure = new Error('connection refused');
    const waiting = pollUntil('the thing at here:1', async () => Promise.reject(failure), { timeoutMs: 200, intervalMs: 20, clock });
    await expect(waiting).rejects.toThrow(/the thing at here:1: not ready after 0 s/);
    await expect(waiting).rejects.toMatchObject({ code: 'TIPSTREAM_TIMEOUT', cause: failure });
    expect(clock.now()).toBe(200);
  });

  it('stops waiting when the process has exited', async () => {
    await expect(pollUntil('kafka', async () => false, { timeoutMs: 5000, intervalMs: 10, clock: fakeClock(), alive: () => false })).rejects.toThrow(/kafka: the process exited before it was ready/);
  });

  it('does not wait out a programming error, nor an error it is told to give up on', async () => {
    await expect(pollUntil('x', async () => Promise.reject(new TypeError('bug')), { timeoutMs: 5000, clock: fakeClock() })).rejects.toThrow(TypeError);
    const clock = fakeClock();
    await expect(pollUntil('x', async () => Promise.reject(new Error('for good')), { timeoutMs: 5000, clock, giveUp: () => true })).rejects.toThrow('for good');
    expect(clock.slept).toEqual([]);
  });

  it('can return the last answer at the deadline instead of failing', async () => {
    await expect(pollUntil('x', async () => false, { timeoutMs: 100, intervalMs: 50, clock: fakeClock(), onTimeout: 'return' })).resolves.toBe(false);
  });
});

describe('retry', () => {
  const policy = { budgetMs: 10_000, initialDelayMs: 250, maxDelayMs: 2_000 };

  it('reads the retriable flag of errors: retriable ones are tried again with growing back-off', async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await retry(
      async () => {
        if (++calls < 5) throw new InfrastructureError('TIPSTREAM_UNREACHABLE', 'away', { retriable: true });
        return calls;
      },
      policy,
      { clock },
    );
    expect(result).toBe(5);
    expect(clock.slept).toEqual([250, 500, 1000, 2000]);
  });

  it('does not retry what is not retriable, nor programming errors', async () => {
    expect(isRetriable(new UserError('TIPSTREAM_USAGE', 'bad flag'))).toBe(false);
    expect(isRetriable(new TypeError('x'))).toBe(false);
    const clock = fakeClock();
    await expect(retry(async () => Promise.reject(new UserError('TIPSTREAM_USAGE', 'bad flag')), policy, { clock })).rejects.toThrow('bad flag');
    await expect(retry(async () => Promise.reject(new TypeError('bug')), policy, { clock, retriable: () => true })).rejects.toThrow('bug');
    expect(clock.slept).toEqual([]);
  });

  it('gives up once the next wait would pass the budget, with the last error', async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(
      retry(async () => Promise.reject(new Error(`failure ${++calls}`)), { budgetMs: 1_000, initialDelayMs: 300, maxDelayMs: 300, multiplier: 1 }, { clock, retriable: () => true }),
    ).rejects.toThrow('failure 4');
    expect(clock.slept).toEqual([300, 300, 300]);
  });

  it('waits what the failure asks for (Cosmos DB RetryAfterMs), and reports each retry', async () => {
    const clock = fakeClock();
    const seen: number[] = [];
    let calls = 0;
    await retry(
      async () => {
        if (++calls < 3) throw new Error('Overloaded RetryAfterMs=40');
      },
      policy,
      { clock, retriable: () => true, waitFor: () => 40, onRetry: (_err, waitMs) => seen.push(waitMs) },
    );
    expect(seen).toEqual([40, 40]);
  });
});

describe('within', () => {
  it('returns the work\'s value when it comes first', async () => {
    await expect(within(Promise.resolve('closed'), 1_000, 'gave up')).resolves.toBe('closed');
  });

  it('returns the stand-in when the work is still pending at the deadline', async () => {
    await expect(within(new Promise<string>(() => undefined), 20, 'gave up')).resolves.toBe('gave up');
  });

  it('rejects with the work\'s error when it fails first', async () => {
    await expect(within(Promise.reject(new Error('broker gone')), 1_000, 'gave up')).rejects.toThrow('broker gone');
  });

  it('swallows a rejection that comes after the deadline', async () => {
    const late = new Promise<string>((_, reject) => setTimeout(() => reject(new Error('late')), 40));
    await expect(within(late, 10, 'gave up')).resolves.toBe('gave up');
    await new Promise((resolve) => setTimeout(resolve, 60));
  });
});

describe('abortedWith', () => {
  it('resolves with the value once the signal aborts, and at once when it already has', async () => {
    const controller = new AbortController();
    const waiting = abortedWith(controller.signal, 'stopped');
    controller.abort();
    await expect(waiting).resolves.toBe('stopped');
    await expect(abortedWith(controller.signal, 'already')).resolves.toBe('already');
  });

  it('loses every race without a signal', async () => {
    await expect(Promise.race([abortedWith(undefined, 'never'), new Promise((resolve) => setTimeout(() => resolve('other'), 10))])).resolves.toBe('other');
  });
});
