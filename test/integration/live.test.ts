// Live mode on the real stack: a run stopped (savepoint), then resumed from that savepoint. Every
// window closed in Cassandra equals an independent computation over what the generator actually
// put in the topics, across the restart: no window lost, none doubled, none partial.
import { loadConfig } from '../../common/config.js';
import { readLiveState } from '../../cli/live.js';
import { startUdfService } from '../../udf-service/index.js';
import { cleanUpLive, expectExactWindows, freshLiveConfig, liveUntil } from '../support/live.js';

const base = loadConfig();
let service: Awaited<ReturnType<typeof startUdfService>>;

beforeAll(async () => {
  service = await startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, port: 0 });
});
afterAll(async () => {
  await service?.close();
  await cleanUpLive();
});

it('stops with a savepoint and resumes from it with no window lost or doubled', async () => {
  const config = await freshLiveConfig(service.url);
  const first = await liveUntil(config, 25);
  expect(await readLiveState(config, 'live-test')).toMatchObject({ savepoint: first.savepoint, jobId: first.jobId });
  const second = await liveUntil(config, 25);
  expect(second.jobId).not.toBe(first.jobId);
  await expectExactWindows(config, [first, second], first.clock + 60_000, service.index);
}, 300_000);
