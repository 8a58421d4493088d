// Which stored windows make "the run" the dashboard opens on. The table keeps every run's
// windows (a replay of 2013 beside a live run dated today); the current run is the newest stretch
// of windows without a gap longer than RUN_GAP_MS of event time between two of them.

/** Longer than any pause inside one run (a replay has none; live mode resumes its clock where it stopped). */
export const RUN_GAP_MS = 6 * 60 * 60 * 1000;

export interface WindowEnds {
  windowEnd: string;
}

/** The index of the first window of the current run in `windows` (oldest first); 0 when empty. */
export function currentRunStart(windows: readonly WindowEnds[], gapMs: number = RUN_GAP_MS): number {
  for (let i = windows.length - 1; i > 0; i--) {
    if (Date.parse(windows[i]!.windowEnd) - Date.parse(windows[i - 1]!.windowEnd) > gapMs) return i;
  }
  return 0;
}
