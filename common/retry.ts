// The one way tipstream waits and retries: `pollUntil` for "wait until ready", `retry` for "try
// again with back-off". Both take a clock, so their tests run on fake time, and `retry` is the
// one reader of an error's `retriable` flag.
import { setTimeout as sleep } from 'node:timers/promises';
import { InfrastructureError, TipstreamError } from './errors.js';

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : undefined).catch(() => undefined),
};

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
  /** Checked before each attempt: when it says false, waiting longer cannot help (the process died). */
  alive?: () => boolean;
  /** Errors of `check` that end the wait at once, rethrown (default: programming errors only). */
  giveUp?: (err: unknown) => boolean;
  /** At the deadline: fail with a TIPSTREAM_TIMEOUT error naming `what` (default), or return the last value. */
  onTimeout?: 'throw' | 'return';
}

/**
 * Calls `check` until it returns something other than false / undefined, and returns that. A
 * check that throws counts as "not yet" (its last error becomes the timeout's cause), except a
 * programming error, which waiting cannot cure.
 */
export async function pollUntil<T>(what: string, check: () => Promise<T | false | undefined>, options: PollOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  const interval = options.intervalMs ?? 500;
  const deadline = clock.now() + options.timeoutMs;
  let lastError: unknown;
  let last: T | false | undefined;
  while (clock.now() < deadline && !options.signal?.aborted) {
    if (options.alive && !options.alive()) {
      throw new InfrastructureError('TIPSTREAM_START', `${what}: the process exited before it was ready`);
    }
    try {
      last = await check();
      if (last !== false && last !== undefined) return last;
    } catch (err) {
      if (err instanceof TypeError || err instanceof ReferenceError || options.giveUp?.(err)) throw err;
      lastError = err;
    }
    await clock.sleep(interval, options.signal);
  }
  if (options.onTimeout === 'return' && lastError === undefined) return last as T;
  throw new InfrastructureError('TIPSTREAM_TIMEOUT', `${what}: not ready after ${Math.round(options.timeoutMs / 1000)} s`, lastError === undefined ? {} : { cause: lastError });
}

/** Retry policy as data, as kafkajs has it. */
export interface RetryPolicy {
  /** Give up once the next wait would end past this long after the first attempt. */
  budgetMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Each wait is this many times the one before (default 2). */
  multiplier?: number;
}

export interface RetryOptions {
  clock?: Clock;
  signal?: AbortSignal;
  /** Whether `err` may go away by trying again; default: the error's own `retriable` flag. */
  retriable?: (err: unknown) => boolean;
  /** A wait the failure asks for itself (Cosmos DB's RetryAfterMs), used instead of the back-off. */
  waitFor?: (err: unknown) => number | undefined;
  onRetry?: (err: unknown, waitMs: number, attempt: number) => void;
}

/** Whether trying again may help: errors say so themselves; programming errors never do. */
export function isRetriable(err: unknown): boolean {
  return err instanceof TipstreamError && err.retriable;
}

/** Runs `attempt` until it succeeds; retriable failures are tried again with growing back-off within the budget. */
export async function retry<T>(attempt: () => Promise<T>, policy: RetryPolicy, options: RetryOptions = {}): Promise<T> {
  const clock = options.clock ?? systemClock;
  const retriable = options.retriable ?? isRetriable;
  const deadline = clock.now() + policy.budgetMs;
  let backoff = policy.initialDelayMs;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      const wait = Math.min(options.waitFor?.(err) ?? backoff, policy.maxDelayMs);
      if (err instanceof TypeError || !retriable(err) || clock.now() + wait > deadline || options.signal?.aborted) throw err;
      options.onRetry?.(err, wait, tries);
      await clock.sleep(wait, options.signal);
      backoff = Math.min(backoff * (policy.multiplier ?? 2), policy.maxDelayMs);
    }
  }
}

/** A clock for tests: time moves only when something sleeps on it. */
export function fakeClock(start = 0): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

/**
 * Waits for `work` at most `ms`: whichever comes first. Past the deadline `work` goes on
 * unwatched (its rejection swallowed) and `within` returns `timedOut`: for clean-up steps (closing
 * a client whose broker is gone) that must not hold a stopping process forever.
 */
export async function within<T, U>(work: Promise<T>, ms: number, timedOut: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with `value` once `signal` aborts (at once if it has); never without a signal. For racing a step that takes no signal of its own. */
export function abortedWith<U>(signal: AbortSignal | undefined, value: U): Promise<U> {
  return new Promise<U>((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve(value);
    signal.addEventListener('abort', () => resolve(value), { once: true });
  });
}
