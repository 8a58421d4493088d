// A fault test (npm run test:faults, not yet in npm test): the JobManager killed with -9 while
// live mode runs; the supervisor brings it back without its jobs, live mode resumes the job from
// its latest checkpoint, and every closed window must still equal the independent computation.
// Seen failing once under CI's load (about 8% of the rides missing after the recovery): the
// restored job catching up on its backlog is where trips can be dropped behind the watermark
// without a count (issue #14, no silent loss).
import { loadConfig } from '../../common/config.js';
import { startUdfService } from '../../udf-service/index.js';
import { cleanUpLive, expectExactWindows, freshLiveConfig, liveUntil, stackStatus } from '../support/live.js';

const base = loadConfig();
let service: Awaited<ReturnType<typeof startUdfService>>;

beforeAll(async () => {
  service = await startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, port: 0 });
});
afterAll(async () => {
  await service?.close();
  await cleanUpLive();
});

it('resumes the live job from its latest checkpoint by itself when the JobManager is killed with -9', async () => {
  const config = await freshLiveConfig(service.url);
  let killed = false;
  let rowsAtRecovery: number | undefined;
  let killClock = 0;
  const run = await liveUntil(config, (view) => {
    // Once windows flow, kill the JobManager; once the job is back and writes windows again, stop.
    if (!killed && view.rowsWritten > 50) {
      const jobManager = stackStatus().find((s) => s.service === 'flink-jobmanager')!;
      process.kill(jobManager.pid!, 'SIGKILL');
      killed = true;
      killClock = view.clock;
    }
    if (killed && view.recoveries > 0 && rowsAtRecovery === undefined) rowsAtRecovery = view.rowsWritten;
    // The resumed job has written windows of its own.
    return rowsAtRecovery !== undefined && view.rowsWritten > rowsAtRecovery + 50;
  });
  expect(run.recoveries).toBe(1);
  await expectExactWindows(config, [run], killClock, service.index);
}, 420_000);
