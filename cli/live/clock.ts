// The live clock: event time that starts after the last run's and runs `speedup` times faster
// than the wall clock; and the heartbeats that keep windows closing on it.
import type { ResolvedConfig } from '../../common/config.js';
import { Heartbeat, type SendFrontier } from '../../generator/index.js';

export class LiveClock {
  /** Where event time starts. */
  readonly start: number;
  /** The clock as the job's bound on plausible event times takes it. */
  readonly jobClock: { wallAt: number; eventAt: number; speedup: number };
  private wallStart: number | undefined;

  constructor(
    readonly speedup: number,
    previousClock: number | undefined,
    private readonly wallNow: () => number = Date.now,
  ) {
    // The clock never goes back: event times before the restored watermark would all be late. A
    // run that was killed recorded its clock up to a second before: the margin covers that second.
    // It starts running when the generator does (after the deploy), as the generator's pacing does.
    this.start = Math.max(wallNow(), (previousClock ?? 0) + Math.max(60_000, speedup * 2_000));
    // The job's bound on plausible event times (README, "Event time and bad clocks") follows this
    // clock, not the wall's: taken before the generator starts, it is never behind the real one.
    this.jobClock = { wallAt: wallNow(), eventAt: this.start, speedup };
  }

  /** Starts the clock running, as the generator starts. */
  run(): void {
    this.wallStart = this.wallNow();
  }

  /** Where event time is now (ms since the epoch). */
  readonly now = (): number => this.start + (this.wallNow() - (this.wallStart ?? this.wallNow())) * this.speedup;
}

/**
 * Where heartbeats put event time: half a wall-clock second behind the live clock (at most 30 s of
 * event time, well inside the watermark delay), so that a generator running a little late is never
 * made late by a heartbeat. Never ahead of the generator either: trips waiting on Kafka (a broker
 * restarting) or still to be sent by a generator running late would arrive behind the watermark a
 * heartbeat moved; seen as thousands of trips 'late for join' after each Kafka kill before this bound.
 */
export function heartbeatTime(clockNow: number, speedup: number, safeTime: number): number {
  return Math.min(clockNow - Math.min(speedup * 500, 30_000), safeTime - 1);
}

/** The heartbeats on the live clock, behind what the generator has had acknowledged (`frontier`). */
export function liveHeartbeat(kafka: ResolvedConfig['kafka'], clock: LiveClock, frontier: SendFrontier): Heartbeat {
  return new Heartbeat({
    bootstrapServers: kafka.bootstrapServers,
    rideTopic: kafka.rideTopic,
    fareTopic: kafka.fareTopic,
    clock: () => heartbeatTime(clock.now(), clock.speedup, frontier.safeTime()),
    // Four a second, so that no partition holds a window back for long once the clock has passed it.
    intervalMs: 250,
    ...(kafka.connectionString ? { connectionString: kafka.connectionString } : {}),
    ...(kafka.caFile ? { caFile: kafka.caFile } : {}),
  });
}
