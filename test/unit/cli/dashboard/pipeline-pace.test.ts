// The health strip's events per second and watermark lag, measured as live mode's terminal measures them.
import { CounterRate, liveClockAt, watermarkLagSeconds } from '../../../../cli/dashboard/pipeline-pace.js';

describe('the live clock and the watermark lag', () => {
  const record = { clock: Date.parse('2026-12-06T12:00:00Z'), wallAt: Date.parse('2026-12-06T05:00:00Z'), speedup: 60 };

  it('carries the recorded clock on at the speedup', () => {
    // 2 s of wall time later, event time is 2 minutes on.
    expect(new Date(liveClockAt(record, record.wallAt + 2_000)).toISOString()).toBe('2026-12-06T12:02:00.000Z');
  });

  it('measures the lag against the live clock, not the wall', () => {
    const now = record.wallAt + 1_000;
    // The watermark 431 s of event time behind the live clock, and hours ahead of the wall.
    const watermark = new Date(liveClockAt(record, now) - 431_000).toISOString();
    expect(watermarkLagSeconds(watermark, liveClockAt(record, now))).toBe(431);
    expect(watermarkLagSeconds(watermark, now)).toBeLessThan(0);
  });

  it('has no lag without a watermark', () => {
    expect(watermarkLagSeconds(null, record.clock)).toBeNull();
  });
});

describe('CounterRate', () => {
  it('takes the rate between changes of a count that is refreshed less often than it is read', () => {
    // Flink refreshes its counts every 10 s; read every 2 s at 332 events/s.
    const rate = new CounterRate(15_000);
    const readings: Array<number | null> = [];
    for (let at = 0; at <= 30_000; at += 2_000) readings.push(rate.sample(at, 332 * 10 * Math.floor(at / 10_000), 'job'));
    expect(readings.slice(0, 5)).toEqual([null, null, null, null, null]);
    // From the first change on: 332/s at every reading, never 0 while the count stands still.
    expect(readings.slice(5)).toEqual(Array(11).fill(332));
  });

  it('reads 0 once the count has stood still longer than the refresh', () => {
    const rate = new CounterRate(15_000);
    rate.sample(0, 0, 'job');
    expect(rate.sample(10_000, 1_000, 'job')).toBe(100);
    expect(rate.sample(20_000, 1_000, 'job')).toBe(100);
    expect(rate.sample(26_000, 1_000, 'job')).toBe(0);
  });

  it('reads 0 at once for a count sampled by its owner (live mode) that did not move', () => {
    const rate = new CounterRate(0);
    rate.sample(1_000, 100, 'run');
    expect(rate.sample(2_000, 432, 'run')).toBe(332);
    // The same record read again is the same reading.
    expect(rate.sample(2_000, 432, 'run')).toBe(332);
    expect(rate.sample(3_000, 432, 'run')).toBe(0);
  });

  it('starts over for another job or a count that went back', () => {
    const rate = new CounterRate(15_000);
    rate.sample(0, 500, 'a');
    expect(rate.sample(1_000, 600, 'a')).toBe(100);
    expect(rate.sample(2_000, 700, 'b')).toBeNull();
    expect(rate.sample(3_000, 10, 'b')).toBeNull();
    expect(rate.sample(4_000, 60, 'b')).toBe(50);
  });
});
