import { heartbeatTime, LiveClock } from '../../../../cli/live/clock.js';

function wall(start: number) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('LiveClock', () => {
  it('starts at the wall clock when the last run stopped long ago, or when there was none', () => {
    const w = wall(1_700_000_000_000);
    expect(new LiveClock(60, undefined, w.now).start).toBe(1_700_000_000_000);
    expect(new LiveClock(60, 1_600_000_000_000, w.now).start).toBe(1_700_000_000_000);
  });

  it('never goes back: starts at least a minute, or two seconds of its speed, after the last run\'s clock', () => {
    const w = wall(1_000_000);
    const previous = 5_000_000;
    expect(new LiveClock(60, previous, w.now).start).toBe(previous + 120_000);
    expect(new LiveClock(10, previous, w.now).start).toBe(previous + 60_000);
    expect(new LiveClock(600, previous, w.now).start).toBe(previous + 1_200_000);
  });

  it('stands still until it runs, then runs speedup times faster than the wall clock', () => {
    const w = wall(1_000_000);
    const clock = new LiveClock(60, undefined, w.now);
    w.advance(5_000);
    expect(clock.now()).toBe(1_000_000);
    clock.run();
    w.advance(2_000);
    expect(clock.now()).toBe(1_000_000 + 120_000);
  });

  it('gives the job the clock as it stands when taken, its speed included', () => {
    const w = wall(1_000_000);
    expect(new LiveClock(60, 5_000_000, w.now).jobClock).toEqual({ wallAt: 1_000_000, eventAt: 5_120_000, speedup: 60 });
  });
});

describe('heartbeatTime', () => {
  it('stays half a wall-clock second behind the clock, at most 30 s of event time', () => {
    expect(heartbeatTime(1_000_000, 10, Infinity)).toBe(1_000_000 - 5_000);
    expect(heartbeatTime(1_000_000, 60, Infinity)).toBe(1_000_000 - 30_000);
    expect(heartbeatTime(1_000_000, 600, Infinity)).toBe(1_000_000 - 30_000);
  });

  it('never reaches what the generator has not had acknowledged yet', () => {
    expect(heartbeatTime(1_000_000, 60, 900_000)).toBe(899_999);
  });
});
