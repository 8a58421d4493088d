// The live state file: what a live run leaves for the next one in the state folder, read at the
// start and written while the run runs and at its stop.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../../common/config.js';

/**
 * What a live run leaves for the next one, in the state folder: written every second while it
 * runs (`running`, the job and the clock), and at Ctrl-C with the savepoint the job stopped with.
 */
export interface LiveState {
  /** The savepoint of the last clean stop; absent while the first run runs. */
  savepoint?: string;
  clock: number;
  jobId: string;
  /** Set while a run runs: found at start, that run ended without Ctrl-C (killed) and its job may still run. */
  running?: true;
  /** While running: the wall time `clock` was taken at, the speedup and the events sent so far (the dashboard's strip reads them). */
  wallAt?: number;
  speedup?: number;
  eventsSent?: number;
}

export function liveStateFile(config: ResolvedConfig, name = 'tipstream-live'): string {
  return join(config.stateDir, `${name}.json`);
}

export async function readLiveState(config: ResolvedConfig, name?: string): Promise<LiveState | undefined> {
  const file = liveStateFile(config, name);
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as LiveState;
}

/**
 * Writes a run's state file: where the run is, each write after the one before (a failed one is
 * skipped: the next comes a second later), until the stop writes the savepoint, after which no
 * running record may overwrite it.
 */
export class LiveStateRecord {
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(readonly file: string) {}

  /** Where this run is, for a next run should this one be killed (until the stop writes its own). */
  running(state: LiveState): void {
    if (this.stopped) return;
    this.writing = this.writing.then(() => writeFile(this.file, `${JSON.stringify(state)}\n`)).catch(() => undefined);
  }

  /** The clean stop: the savepoint and where the clock stopped, once the last running record is written. */
  async stop(state: Required<Pick<LiveState, 'savepoint' | 'clock' | 'jobId'>>): Promise<void> {
    this.stopped = true;
    await this.writing;
    await writeFile(this.file, `${JSON.stringify({ savepoint: state.savepoint, clock: state.clock, jobId: state.jobId } satisfies LiveState, null, 2)}\n`);
  }
}
