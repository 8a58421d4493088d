// Live mode's relay: kept running while the run runs, started again after an error; stopped
// after the savepoint; then one bounded session to catch up.
import { childLogger } from '../../common/logger.js';
import { systemClock, type Clock } from '../../common/retry.js';
import type { RelayCounters } from '../../orchestrator/index.js';

const log = childLogger('live');

/** One relay session until `signal` aborts (or, with `stopWhenIdleMs`, until it has had nothing that long). */
export type RelaySession = (options: { signal: AbortSignal; stopWhenIdleMs?: number }) => Promise<RelayCounters>;

export function addCounters(totals: RelayCounters, more: RelayCounters): void {
  for (const key of Object.keys(totals) as Array<keyof RelayCounters>) totals[key] += more[key];
}

/**
 * A relay that stops on an error (Kafka or Cassandra away past its retry budget) is started
 * again after 5 s: it reads on from its committed offsets, so nothing is lost or doubled.
 */
export async function superviseRelay(session: RelaySession, signal: AbortSignal, clock: Clock = systemClock): Promise<RelayCounters> {
  const totals: RelayCounters = { written: 0, retries: 0, rejected: 0, commits: 0 };
  while (!signal.aborted) {
    try {
      addCounters(totals, await session({ signal }));
    } catch (err) {
      if (signal.aborted) break;
      log.warn({ err: (err as Error).message }, 'the relay stopped; starting it again in 5 s');
      await clock.sleep(5_000, signal);
    }
  }
  return totals;
}

/**
 * Quiet is not caught up: a relay slow to fetch the final transaction (a loaded machine), or cut
 * off mid-batch by the abort, left the newest window half written (seen in CI: 94 of its 224
 * rides). One more session reads from the committed offsets to the end of the topic, until its
 * fetches (0.5 s each) have handed it nothing for 3 s; the job has stopped, so nothing else comes.
 * At most a minute (joining the group waits out a rebalance): what it leaves stays uncommitted,
 * and the next start writes it. What it wrote is added to `totals`.
 */
export async function catchUpRelay(session: RelaySession, totals: RelayCounters, signal: AbortSignal = AbortSignal.timeout(60_000)): Promise<RelayCounters | undefined> {
  const rest = await session({ stopWhenIdleMs: 3_000, signal }).catch((err: unknown) => {
    log.warn({ err: (err as Error).message }, 'the relay could not catch up after the stop; the next start writes the rest');
    return undefined;
  });
  if (rest) addCounters(totals, rest);
  if (signal.aborted) log.warn('the relay did not catch up within a minute of the stop; the next start writes the rest');
  return rest;
}

/** The relay of a live run: supervised from its construction until `stop()`. */
export class LiveRelay {
  private readonly abort = new AbortController();
  private readonly supervised: Promise<RelayCounters>;

  constructor(
    private readonly session: RelaySession,
    clock: Clock = systemClock,
  ) {
    this.supervised = superviseRelay(session, this.abort.signal, clock);
  }

  /** Stops the relay and returns what it did over all its sessions. */
  stop(): Promise<RelayCounters> {
    this.abort.abort();
    return this.supervised;
  }

  catchUp(totals: RelayCounters): Promise<RelayCounters | undefined> {
    return catchUpRelay(this.session, totals);
  }
}
