import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedConfig } from '../../../../common/config.js';
import { liveStateFile, LiveStateRecord, readLiveState } from '../../../../cli/live/state.js';

describe('the live state file', () => {
  let config: ResolvedConfig;
  beforeEach(async () => {
    config = { stateDir: await mkdtemp(join(tmpdir(), 'live-state-')) } as ResolvedConfig;
  });

  it('is named after the run, in the state folder; none there reads as no previous run', async () => {
    expect(liveStateFile(config)).toBe(join(config.stateDir, 'tipstream-live.json'));
    expect(liveStateFile(config, 'bench-live')).toBe(join(config.stateDir, 'bench-live.json'));
    await expect(readLiveState(config)).resolves.toBeUndefined();
  });

  it('records where a run is, then its stop, after which no running record overwrites the savepoint', async () => {
    const record = new LiveStateRecord(liveStateFile(config));
    record.running({ clock: 1_000, jobId: 'j1', running: true, wallAt: 10, speedup: 60, eventsSent: 5 });
    record.running({ clock: 2_000, jobId: 'j1', running: true, wallAt: 20, speedup: 60, eventsSent: 9 });
    const stopping = record.stop({ savepoint: 'file:/sp-1', clock: 2_500, jobId: 'j1' });
    record.running({ clock: 3_000, jobId: 'j1', running: true, wallAt: 30, speedup: 60, eventsSent: 12 });
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(readLiveState(config)).resolves.toEqual({ savepoint: 'file:/sp-1', clock: 2_500, jobId: 'j1' });
  });

  it('writes a running record a reader can take at any moment (one line of JSON)', async () => {
    const fresh = new LiveStateRecord(join(config.stateDir, 'other.json'));
    fresh.running({ clock: 1_000, jobId: 'j2', running: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readFile(join(config.stateDir, 'other.json'), 'utf8')).toBe('{"clock":1000,"jobId":"j2","running":true}\n');
  });
});
