import type { WindowResult } from '../../../../clients/index.js';
import type { JobMetrics } from '../../../../orchestrator/index.js';
import { LiveViewer, WrittenWindows } from '../../../../cli/live/view.js';

const row = (windowEnd: string, neighborhood: string, rideCount = 12) => ({ windowStart: windowEnd, windowEnd, neighborhood, rideCount, totalTipAmount: 10, totalDistanceMiles: 5 }) as unknown as WindowResult;

describe('WrittenWindows', () => {
  it('keeps the latest window written, its rows as they come, and counts every row', () => {
    let now = 1_000;
    const handed: WindowResult[][] = [];
    const written = new WrittenWindows(15, (rows) => handed.push(rows), () => now);
    written.add([row('2025-01-01T00:01:00Z', 'Midtown'), row('2025-01-01T00:02:00Z', 'Chelsea')]);
    now = 2_000;
    written.add([row('2025-01-01T00:02:00Z', 'SoHo'), row('2025-01-01T00:01:00Z', 'Harlem')]);
    expect(written.latestWindow).toEqual({ windowEnd: '2025-01-01T00:02:00Z', rows: [row('2025-01-01T00:02:00Z', 'Chelsea'), row('2025-01-01T00:02:00Z', 'SoHo')] });
    expect(written.rowsWritten).toBe(4);
    expect(written.lastRowsAt).toBe(2_000);
    expect(handed).toHaveLength(2);
  });
});

describe('LiveViewer', () => {
  it('shows the clock, the job, the watermark lag and the events sent per second since the last refresh', () => {
    let now = 10_000;
    const shown: unknown[] = [];
    const job = { jobId: 'j1', recoveries: 1, metrics: { windowWatermark: new Date(1_000_000 - 240_000).toISOString() } as JobMetrics };
    const written = new WrittenWindows(15, undefined, () => now);
    const viewer = new LiveViewer({ clock: () => 1_000_000, job, written, resumedFrom: 'file:/sp-1', minRides: 10 }, (view) => shown.push(view), () => now);
    const before: number[] = [];
    now = 12_000;
    viewer.eventsSent = 1_000;
    viewer.tick((at) => before.push(at));
    expect(before).toEqual([12_000]);
    expect(shown).toEqual([{ clock: 1_000_000, jobId: 'j1', recoveries: 1, resumedFrom: 'file:/sp-1', eventsSent: 1_000, eventsPerSecond: 500, metrics: job.metrics, watermarkLagSeconds: 240, rowsWritten: 0 }]);
  });

  it('has no lag before the job reports a watermark, and ranks once a window is written', () => {
    const written = new WrittenWindows(15);
    const viewer = new LiveViewer({ clock: () => 1_000_000, job: { jobId: 'j1', recoveries: 0, metrics: undefined }, written, resumedFrom: undefined, minRides: 10 });
    expect(viewer.view()).toMatchObject({ watermarkLagSeconds: null });
    expect(viewer.view()).not.toHaveProperty('ranking');
    written.add([row('2025-01-01T00:01:00Z', 'Midtown')]);
    expect(viewer.view().ranking?.ranked.map((r) => r.neighborhood)).toEqual(['Midtown']);
  });
});
