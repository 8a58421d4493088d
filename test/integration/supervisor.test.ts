// The stack's supervisor on the shared stack: a TaskManager killed with -9 is started again by
// itself, and `stack status` says restarting, then up, with the new process.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

interface Status {
  service: string;
  pid?: number;
  answers: boolean;
  state?: string;
  restarts?: number;
  detail?: string;
}

function status(): Status[] {
  const result = spawnSync(process.execPath, [resolve('bin/tipstream.js'), 'stack', 'status', '--json'], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(result.stdout) as Status[];
}

const taskManager = () => status().find((s) => s.service === 'flink-taskmanager')!;

it('brings back a TaskManager killed with -9, and status tells restarting from up', async () => {
  const before = taskManager();
  expect(before).toMatchObject({ state: 'up', answers: true });
  const killedAt = Date.now();
  process.kill(before.pid!, 'SIGKILL');

  const seen = new Set<string>();
  let now = taskManager();
  const deadline = Date.now() + 120_000;
  while (!(now.state === 'up' && now.pid !== before.pid) && Date.now() < deadline) {
    seen.add(now.state ?? 'none');
    await new Promise((r) => setTimeout(r, 500));
    now = taskManager();
  }
  expect(now).toMatchObject({ state: 'up', answers: true });
  expect(now.pid).not.toBe(before.pid);
  expect(now.restarts).toBeGreaterThanOrEqual(1);
  expect([...seen]).toContain('restarting');
  process.stderr.write(`TaskManager killed with -9: up again (registered, heartbeating) after ${((Date.now() - killedAt) / 1000).toFixed(1)} s\n`);
}, 180_000);
