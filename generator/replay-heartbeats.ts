// Heartbeats for a replay (`tipstream generate --heartbeats`). An unbounded job closes a window
// only once its watermark has passed the window's end, and the watermark moves only with the
// records the job reads: when a replay's input ends, its last windows would stay open for good.
// Heartbeats at the wall clock cannot close them (they would make every 2013 trip late), so these
// follow the replay's own clock, its send frontier (replay.ts), as live mode's do: every interval
// while the replay runs (so through the pauses of a paced one), just behind the oldest trip not
// yet sent or not yet acknowledged; and once the input has ended and every trip is acknowledged,
// a closing one far enough past the last trip that the job's watermark passes its window's end.
import { childLogger } from '../common/logger.js';
import { retry, systemClock, type Clock, type RetryPolicy } from '../common/retry.js';
import { SendFrontier } from './replay.js';

const log = childLogger('heartbeat');

/** The job's settings that decide when its windows close (common/config.ts `job`), in milliseconds. */
export interface WindowClosing {
  windowMs: number;
  rideWatermarkDelayMs: number;
  fareWatermarkDelayMs: number;
}

/**
 * The time of the heartbeat that closes the window of the trip at `lastEventTime`, and so every
 * window before it. Each source's watermark is its latest time minus its delay
 * (sql/01-sources.sql); the join, an interval join of zero width, passes on the lower of the two
 * unchanged; a tumbling window [start, end), its start a multiple of its size (TUMBLE without an
 * offset), fires once the watermark reaches its last millisecond, end - 1. A heartbeat at end plus
 * the longer delay takes both watermarks to end: the window has fired. It is never more than one
 * window plus that delay past the last trip (end <= lastEventTime + size), so far inside the job's
 * bound on how far a partition's time may jump (job.maxJump, a day by default).
 */
export function closingHeartbeatTime(lastEventTime: number, job: WindowClosing): number {
  const windowEnd = Math.floor(lastEventTime / job.windowMs) * job.windowMs + job.windowMs;
  return windowEnd + Math.max(job.rideWatermarkDelayMs, job.fareWatermarkDelayMs);
}

/** Where rounds of heartbeats go (a Heartbeat: one into every partition of both topics). */
export interface HeartbeatSender {
  beat(time: number): Promise<void>;
}

export interface ReplayHeartbeatOptions {
  /** Wall-clock time between rounds while the replay runs. */
  intervalMs: number;
  job: WindowClosing;
  clock?: Clock;
  /** How long the closing round may keep failing (Kafka away) before the replay fails. */
  closingRetry?: RetryPolicy;
}

export interface ReplayHeartbeatCounts {
  /** Rounds sent while the replay ran. */
  rounds: number;
  /** Rounds that failed while the replay ran; the next one tried again. */
  failures: number;
  /** The closing heartbeat's time (ms since the epoch); absent when the input did not end or held no trip. */
  closedAt?: number;
}

export class ReplayHeartbeats {
  /** The replay keeps it (ReplayOptions.frontier); every heartbeat is held behind it. */
  readonly frontier = new SendFrontier();
  readonly counts: ReplayHeartbeatCounts = { rounds: 0, failures: 0 };
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;

  constructor(
    private readonly sender: HeartbeatSender,
    private readonly options: ReplayHeartbeatOptions,
  ) {}

  /**
   * Where a heartbeat may be now: a millisecond behind the frontier, so behind every trip still
   * to be sent or acknowledged (they are at or after it); none before the first trip is read.
   */
  heartbeatTime(): number | undefined {
    const safe = this.frontier.safeTime();
    return Number.isFinite(safe) ? safe - 1 : undefined;
  }

  /** Beats every interval until `close` or `stop`; a failed round is logged and the next one tries again. */
  start(): void {
    this.loop ??= this.beatEveryInterval();
  }

  /** Stops the rounds, without a closing one (the replay failed or was interrupted). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  /**
   * After the replay has ended with its input, every trip acknowledged: stops the rounds, then
   * sends the closing heartbeat. Twice: a partition the job restores from a checkpoint taken after
   * its last trip reads nothing but these, and sets its time only once two records agree
   * (flink-udf PartitionClock). Returns its time, or undefined when no trip was sent.
   */
  async close(): Promise<number | undefined> {
    await this.stop();
    // Everything acknowledged: the frontier is the latest event time read, the last trip's.
    const last = this.frontier.safeTime();
    if (!Number.isFinite(last)) return undefined;
    const time = closingHeartbeatTime(last, this.options.job);
    const policy = this.options.closingRetry ?? { budgetMs: 60_000, initialDelayMs: 500, maxDelayMs: 5_000 };
    const clock = this.options.clock ?? systemClock;
    for (let round = 0; round < 2; round += 1) {
      await retry(() => this.sender.beat(time), policy, {
        clock,
        onRetry: (err, waitMs) => log.warn({ err: (err as Error).message, waitMs }, 'closing heartbeat failed; trying again'),
      });
    }
    this.counts.closedAt = time;
    return time;
  }

  private async beatEveryInterval(): Promise<void> {
    const clock = this.options.clock ?? systemClock;
    const { signal } = this.stopping;
    while (!signal.aborted) {
      await clock.sleep(this.options.intervalMs, signal);
      const time = this.heartbeatTime();
      if (signal.aborted || time === undefined) continue;
      try {
        await this.sender.beat(time);
        this.counts.rounds += 1;
      } catch (err) {
        this.counts.failures += 1;
        log.warn({ err: (err as Error).message }, 'heartbeat failed; trying again next round');
      }
    }
  }
}
