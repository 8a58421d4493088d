// Live mode on the real stack: a run stopped (savepoint), then resumed from that savepoint. Every
// window closed in Cassandra equals an independent computation over what the generator actually
// put in the topics, across the restart: no window lost, none doubled, none partial.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envName, loadConfig, projectRoot } from '../../common/config.js';
import { readLiveState } from '../../cli/live/index.js';
import { startUdfService } from '../../udf-service/index.js';
import { freePort } from '../support/free-port.js';
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

it('serves the live map beside `start --live` and prints its address', async () => {
  const config = await freshLiveConfig(service.url);
  const dashboardPort = await freePort();
  // `start` brings the stack up, so it runs with the stack's own state folder (where the stack
  // records its processes); the live and deployment records it writes there are put back after.
  const records = [join(base.stateDir, 'tipstream-live.json'), join(base.stateDir, 'deployment.json')];
  const saved = await Promise.all(records.map((file) => readFile(file, 'utf8').catch(() => undefined)));
  const settings: Record<string, string> = {
    'kafka.rideTopic': config.kafka.rideTopic,
    'kafka.fareTopic': config.kafka.fareTopic,
    'kafka.deadLetterTopic': config.kafka.deadLetterTopic,
    'kafka.statsTopic': config.kafka.statsTopic,
    'cassandra.keyspace': config.cassandra.keyspace,
    // The test's udf-service already answers there, so `start` starts none of its own.
    'udf.port': new URL(service.url).port,
    'dashboard.port': String(dashboardPort),
  };
  const child = spawn(process.execPath, ['bin/tipstream.js', 'start', '--live'], {
    cwd: projectRoot,
    env: { ...process.env, ...Object.fromEntries(Object.entries(settings).map(([path, value]) => [envName(path), value])) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      const deadline = setTimeout(() => reject(new Error(`start --live printed no dashboard address within 120 s:\n${output}`)), 120_000);
      const look = () => {
        const match = /dashboard: (http:\/\/\S+?)\/ /.exec(output);
        if (match) {
          clearTimeout(deadline);
          resolveUrl(match[1]!);
        }
      };
      child.stdout!.on('data', look);
      void exited.then(() => reject(new Error(`start --live exited:\n${output}`)));
    });
    expect(url).toBe(`http://${config.host}:${dashboardPort}`);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('maplibre');
    // The health strip's source sees the live job once live mode has deployed it.
    const deadline = Date.now() + 120_000;
    const running = (h: typeof health) => h.job?.status === 'up' && h.job.metrics?.state === 'RUNNING';
    let health: { job?: { status?: string; metrics?: { state?: string } | null } } = {};
    while (Date.now() < deadline && !running(health)) {
      health = (await (await fetch(`${url}/api/health`)).json()) as typeof health;
      if (!running(health)) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(health.job).toMatchObject({ status: 'up', metrics: { state: 'RUNNING' } });
  } finally {
    child.kill('SIGINT');
    await exited;
    await Promise.all(records.map((file, i) => (saved[i] === undefined ? rm(file, { force: true }) : writeFile(file, saved[i]))));
  }
  expect(output).toMatch(/Stopped\. .* window rows written to Cassandra/);
  // The dashboard stopped with live mode.
  await expect(fetch(`http://${config.host}:${dashboardPort}/`)).rejects.toThrow();
}, 300_000);
