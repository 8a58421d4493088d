// `generate --heartbeats`: heartbeats on the replay's own clock. While the replay runs, none is
// ever ahead of a trip not yet acknowledged or not yet sent; at the end, once everything is
// acknowledged, the closing heartbeat takes the job's watermark just past the last window.
import { createProgress } from '../../../common/progress.js';
import { fakeClock } from '../../../common/retry.js';
import { InfrastructureError } from '../../../common/errors.js';
import { closingHeartbeatTime, replay, ReplayHeartbeats, type HeartbeatSender, type OutgoingEvent, type Transport, type WindowClosing } from '../../../generator/index.js';
import { samples } from '../../support/data.js';

const MINUTE = 60_000;
const job: WindowClosing = { windowMs: MINUTE, rideWatermarkDelayMs: 3 * MINUTE, fareWatermarkDelayMs: 3 * MINUTE };
const at = (iso: string) => Date.parse(iso);

/** The job as sql/ has it: each source's watermark is its latest time minus its delay; a window [s, e) fires at a watermark of e - 1. */
function closesWindowOf(trip: number, heartbeat: number, settings: WindowClosing): boolean {
  const windowEnd = Math.floor(trip / settings.windowMs) * settings.windowMs + settings.windowMs;
  const watermark = Math.min(heartbeat - settings.rideWatermarkDelayMs, heartbeat - settings.fareWatermarkDelayMs);
  return watermark >= windowEnd - 1;
}

describe('the closing heartbeat', () => {
  it('is the end of the last trip\'s window plus the watermark delay', () => {
    expect(closingHeartbeatTime(at('2013-01-01T00:59:59Z'), job)).toBe(at('2013-01-01T01:03:00Z'));
    expect(closingHeartbeatTime(at('2013-01-01T00:59:00Z'), job)).toBe(at('2013-01-01T01:03:00Z'));
    expect(closingHeartbeatTime(at('2013-01-01T00:58:59.999Z'), job)).toBe(at('2013-01-01T01:02:00Z'));
  });

  it('follows the longer of the two streams\' delays', () => {
    const uneven = { ...job, fareWatermarkDelayMs: 5 * MINUTE };
    expect(closingHeartbeatTime(at('2013-01-01T00:59:59Z'), uneven)).toBe(at('2013-01-01T01:05:00Z'));
    expect(closingHeartbeatTime(at('2013-01-01T00:59:59Z'), { ...uneven, rideWatermarkDelayMs: 7 * MINUTE })).toBe(at('2013-01-01T01:07:00Z'));
  });

  it('closes the last window, by a millisecond to spare, and stays within one window plus the delay of the last trip', () => {
    const settings = [job, { windowMs: 3_600_000, rideWatermarkDelayMs: 3 * MINUTE, fareWatermarkDelayMs: 30_000 }, { windowMs: 10_000, rideWatermarkDelayMs: 2_000, fareWatermarkDelayMs: 2_000 }];
    const start = at('2013-01-01T00:00:00Z');
    for (const s of settings) {
      for (const offset of [0, 1, 999, s.windowMs / 2, s.windowMs - 1, s.windowMs, 7 * s.windowMs + 123]) {
        const trip = start + offset;
        const time = closingHeartbeatTime(trip, s);
        expect(closesWindowOf(trip, time, s)).toBe(true);
        // One millisecond less still closes it; two less would not: no further ahead than needed.
        expect(closesWindowOf(trip, time - 1, s)).toBe(true);
        expect(closesWindowOf(trip, time - 2, s)).toBe(false);
        expect(time - trip).toBeLessThanOrEqual(s.windowMs + Math.max(s.rideWatermarkDelayMs, s.fareWatermarkDelayMs));
        expect(time - trip).toBeGreaterThan(Math.max(s.rideWatermarkDelayMs, s.fareWatermarkDelayMs));
      }
    }
  });
});

/**
 * A broker stand-in: acknowledges each batch a few milliseconds after it is sent, in order. Once
 * `awayAt` events are acknowledged it goes away (acknowledges nothing) until `awayFor` heartbeat
 * rounds have come.
 */
class BrokerTransport implements Transport {
  readonly description = 'broker stand-in';
  readonly sent: OutgoingEvent[] = [];
  /** Events acknowledged so far, a prefix of `sent`. */
  acknowledged = 0;
  roundsWhileAway = 0;
  constructor(private readonly away: { at: number; rounds: number } = { at: Infinity, rounds: 0 }) {}
  get isAway() {
    return this.acknowledged >= this.away.at && this.roundsWhileAway < this.away.rounds;
  }
  async send(batch: OutgoingEvent[]) {
    this.sent.push(...batch);
    await new Promise((resolve) => setTimeout(resolve, 2));
    while (this.isAway) await new Promise((resolve) => setTimeout(resolve, 1));
    this.acknowledged += batch.length;
  }
  async close() {}
}

/** Keeps every round it is given, with what the transport had acknowledged then. */
class RecordingSender implements HeartbeatSender {
  readonly rounds: Array<{ time: number; acknowledged: number; sent: number }> = [];
  constructor(private readonly transport: BrokerTransport) {}
  async beat(time: number) {
    this.rounds.push({ time, acknowledged: this.transport.acknowledged, sent: this.transport.sent.length });
    if (this.transport.isAway) this.transport.roundsWhileAway += 1;
  }
}

const source = { format: 'debs' as const, input: samples.debs, faresLeadMs: 0, bufferCapacity: 10_000, maxTrips: 600 };
const noFaults = { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 };

async function pacedReplay(transport: BrokerTransport, heartbeats: ReplayHeartbeats) {
  heartbeats.start();
  try {
    // 1,200 events at 6,000 a second: about 0.2 s of pauses between batches of 100.
    return await replay(
      { source, faults: noFaults, pacing: { kind: 'rate', eventsPerSecond: 6_000 }, batchSize: 100, rideTopic: 'r', fareTopic: 'f', frontier: heartbeats.frontier },
      transport,
      createProgress(false),
    );
  } finally {
    await heartbeats.stop();
  }
}

describe('heartbeats while a paced replay runs', () => {
  it('beats through the pauses, never ahead of a trip not yet acknowledged or not yet sent, and moves on with the acknowledgements', async () => {
    // The broker goes away mid-run for 6 rounds: the heartbeats must hold behind what it has not acknowledged.
    const transport = new BrokerTransport({ at: 500, rounds: 6 });
    const sender = new RecordingSender(transport);
    const heartbeats = new ReplayHeartbeats(sender, { intervalMs: 3, job });
    const summary = await pacedReplay(transport, heartbeats);
    expect(summary.sent.total).toBe(1_200);
    const events = transport.sent;
    expect(sender.rounds.length).toBeGreaterThan(10);
    expect(heartbeats.counts).toMatchObject({ rounds: sender.rounds.length, failures: 0 });
    for (const round of sender.rounds) {
      // Everything not acknowledged when the round went (sent or still to come) is later than it.
      const oldestLeft = Math.min(...events.slice(round.acknowledged).map((e) => e.time));
      expect(round.time).toBeLessThan(oldestLeft);
    }
    // No heartbeat before the first trip, and they moved on as the replay did.
    expect(Math.min(...sender.rounds.map((r) => r.time))).toBeGreaterThanOrEqual(events[0]!.time - 1);
    expect(new Set(sender.rounds.map((r) => r.time)).size).toBeGreaterThan(3);
    // While the broker was away, the rounds held still: one time for as long as nothing was acknowledged.
    expect(transport.roundsWhileAway).toBe(6);
    const whileAway = sender.rounds.filter((r) => r.acknowledged === 500);
    expect(whileAway.length).toBeGreaterThanOrEqual(6);
    expect(new Set(whileAway.map((r) => r.time)).size).toBe(1);
  });

  it('sends none before the replay has read a trip', async () => {
    const transport = new BrokerTransport();
    const sender = new RecordingSender(transport);
    const heartbeats = new ReplayHeartbeats(sender, { intervalMs: 1, job });
    heartbeats.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await heartbeats.stop();
    expect(sender.rounds).toEqual([]);
    expect(heartbeats.heartbeatTime()).toBeUndefined();
  });
});

describe('the end of the input', () => {
  it('sends the closing heartbeat twice, once every trip is acknowledged, and nothing after it', async () => {
    const transport = new BrokerTransport();
    const sender = new RecordingSender(transport);
    const heartbeats = new ReplayHeartbeats(sender, { intervalMs: 3, job });
    await pacedReplay(transport, heartbeats);
    const before = sender.rounds.length;
    const closedAt = await heartbeats.close();
    const last = Math.max(...transport.sent.map((e) => e.time));
    expect(closedAt).toBe(closingHeartbeatTime(last, job));
    expect(heartbeats.counts.closedAt).toBe(closedAt);
    expect(sender.rounds.slice(before)).toEqual([
      { time: closedAt, acknowledged: 1_200, sent: 1_200 },
      { time: closedAt, acknowledged: 1_200, sent: 1_200 },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sender.rounds).toHaveLength(before + 2);
  });

  it('tries the closing heartbeat again while Kafka is away, and gives up past its budget', async () => {
    let failuresLeft = 3;
    const times: number[] = [];
    const flaky: HeartbeatSender = {
      async beat(time) {
        if (failuresLeft-- > 0) throw new InfrastructureError('TIPSTREAM_UNREACHABLE', 'heartbeat to 127.0.0.1:9092 failed', { retriable: true });
        times.push(time);
      },
    };
    const clock = fakeClock();
    const heartbeats = new ReplayHeartbeats(flaky, { intervalMs: 1_000, job, clock, closingRetry: { budgetMs: 10_000, initialDelayMs: 500, maxDelayMs: 2_000 } });
    heartbeats.frontier.read(at('2013-01-01T00:59:59Z'));
    expect(await heartbeats.close()).toBe(at('2013-01-01T01:03:00Z'));
    expect(times).toEqual([at('2013-01-01T01:03:00Z'), at('2013-01-01T01:03:00Z')]);
    expect(clock.slept).toEqual([500, 1_000, 2_000]);

    const down: HeartbeatSender = { beat: async () => Promise.reject(new InfrastructureError('TIPSTREAM_UNREACHABLE', 'heartbeat to 127.0.0.1:9092 failed', { retriable: true })) };
    const never = new ReplayHeartbeats(down, { intervalMs: 1_000, job, clock: fakeClock(), closingRetry: { budgetMs: 3_000, initialDelayMs: 500, maxDelayMs: 2_000 } });
    never.frontier.read(at('2013-01-01T00:59:59Z'));
    await expect(never.close()).rejects.toThrow('heartbeat to 127.0.0.1:9092 failed');
    expect(never.counts.closedAt).toBeUndefined();
  });

  it('sends no closing heartbeat when no trip was read', async () => {
    const sender = new RecordingSender(new BrokerTransport());
    const heartbeats = new ReplayHeartbeats(sender, { intervalMs: 1_000, job });
    expect(await heartbeats.close()).toBeUndefined();
    expect(sender.rounds).toEqual([]);
  });
});
