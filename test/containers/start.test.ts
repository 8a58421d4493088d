// The README's command on the stack in containers: `tipstream start` (what `npm start` runs),
// unchanged, against the suite's containers. It finds them through the environment the suite set
// (the state folder's record, the ports), starts its own udf-service where the containers reach it,
// and its malformed counts (Flink's, the generator's) must agree.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { projectRoot, loadConfig } from '../../common/config.js';
import { stopApps } from '../../stack/index.js';

afterAll(async () => {
  await stopApps(loadConfig());
});

it('runs `tipstream start` end to end against the containers, with agreeing malformed counts', async () => {
  const output: string[] = [];
  const code = await new Promise<number>((done, fail) => {
    const child = spawn(process.execPath, [resolve(projectRoot, 'bin', 'tipstream.js'), 'start'], { cwd: projectRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    child.on('error', fail);
    child.on('close', (exitCode) => done(exitCode ?? 1));
  });
  const text = output.join('');
  expect({ code, text }).toMatchObject({ code: 0 });
  expect(text).toMatch(/^Top \d+ pickup neighborhoods/m);
  const counts = /rides (\d+) \/ (\d+), fares (\d+) \/ (\d+)/.exec(text);
  expect(counts).not.toBeNull();
  expect(counts![1]).toBe(counts![2]);
  expect(counts![3]).toBe(counts![4]);
  expect(Number(counts![2])).toBeGreaterThan(0);
});
