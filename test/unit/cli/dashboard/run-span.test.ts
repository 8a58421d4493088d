import { currentRunStart, RUN_GAP_MS } from '../../../../cli/dashboard/run-span.js';

const at = (iso: string) => ({ windowEnd: iso });

describe('currentRunStart', () => {
  it('is 0 for no windows and for one run without gaps', () => {
    expect(currentRunStart([])).toBe(0);
    expect(currentRunStart([at('2013-01-01T00:01:00Z'), at('2013-01-01T00:02:00Z'), at('2013-01-01T00:05:00Z')])).toBe(0);
  });

  it('starts after the last gap longer than the run gap: a live run stored after a 2013 replay', () => {
    const windows = [at('2013-01-01T00:01:00Z'), at('2013-01-01T00:02:00Z'), at('2026-03-01T10:00:00Z'), at('2026-03-01T10:01:00Z')];
    expect(currentRunStart(windows)).toBe(2);
  });

  it('keeps a gap of exactly the run gap inside the run', () => {
    const first = Date.parse('2013-01-01T00:00:00Z');
    const windows = [at(new Date(first).toISOString()), at(new Date(first + RUN_GAP_MS).toISOString())];
    expect(currentRunStart(windows)).toBe(0);
    expect(currentRunStart(windows, RUN_GAP_MS - 1)).toBe(1);
  });
});
