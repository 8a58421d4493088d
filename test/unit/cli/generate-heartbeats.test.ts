// `generate --heartbeats`: a bad interval, a transport without Kafka, or job settings whose closing
// heartbeat the job would refuse are one line each, before anything connects; --help shows the default.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function run(args: string[], env: Record<string, string> = {}) {
  const state = mkdtempSync(join(tmpdir(), 'tipstream-cli-'));
  // A port where nothing listens: reaching Kafka would fail differently (and later).
  const result = spawnSync(process.execPath, [resolve('bin/tipstream.js'), 'generate', ...args], {
    encoding: 'utf8',
    env: { ...process.env, TIPSTREAM_STATE_DIR: state, TIPSTREAM_CACHE_DIR: join(state, 'cache'), TIPSTREAM_KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1', ...env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr.trim().split('\n') };
}

it('refuses an interval that is no duration, or none', () => {
  expect(run(['--heartbeats', 'soon'])).toMatchObject({ code: 2, stderr: [`tipstream: --heartbeats must look like "5 minutes", "30 s" or "1 hour", got 'soon'`] });
  expect(run(['--heartbeats', '0 s'])).toMatchObject({ code: 2, stderr: ["tipstream: --heartbeats must be an interval longer than 0, got '0 s'"] });
});

it('needs the Kafka transport', () => {
  expect(run(['--heartbeats', '--transport', 'eventhubs'])).toMatchObject({ code: 2, stderr: ['tipstream: --heartbeats needs --transport kafka (the heartbeats go through the Kafka protocol)'] });
});

it("refuses job settings whose closing heartbeat would jump further than the job's maxJump allows", () => {
  expect(run(['--heartbeats', '--window', '400 days'])).toMatchObject({
    code: 2,
    stderr: ["tipstream: --heartbeats: the closing heartbeat may come up to 400 days plus 3 minutes (the window plus the longer watermark delay) after the last trip, further than job.maxJump (default) (365 days) lets a partition's time jump: the job would dead-letter it"],
  });
  expect(run(['--heartbeats', '--fare-watermark-delay', '10 minutes'], { TIPSTREAM_JOB_MAX_JUMP: '1 min' })).toMatchObject({
    code: 2,
    stderr: ["tipstream: --heartbeats: the closing heartbeat may come up to 1 hour plus 10 minutes (the window plus the longer watermark delay) after the last trip, further than job.maxJump from TIPSTREAM_JOB_MAX_JUMP (1 min) lets a partition's time jump: the job would dead-letter it"],
  });
});

it('shows the default interval and the job settings it reads in --help', () => {
  const help = spawnSync(process.execPath, [resolve('bin/tipstream.js'), 'generate', '--help'], { encoding: 'utf8', timeout: 30_000 }).stdout.replace(/\s+/g, ' ');
  expect(help).toContain('--heartbeats [interval] for an unbounded job');
  expect(help).toContain('(default "1 s")');
  expect(help).toContain('--window <size> with --heartbeats: the job\'s tumbling window size (default "1 hour")');
});
