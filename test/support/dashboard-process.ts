// `tipstream dashboard` as a person runs it, on a free port, for the browser tests. A process of
// its own rather than in-process: @fastify/static's ES-module dependencies cannot be required
// under jest's VM modules on Node 22.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { projectRoot } from '../../common/config.js';
import { freePort } from './free-port.js';

export interface DashboardProcess {
  url: string;
  process: ChildProcess;
}

/** Starts `tipstream dashboard <args> --port <free>` and resolves with its address once it prints it. */
export async function spawnDashboard(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<DashboardProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/tipstream.js', 'dashboard', '--port', String(port), ...args], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const deadline = setTimeout(() => {
      // A child left running would keep jest alive after the failure.
      child.kill('SIGTERM');
      reject(new Error(`tipstream dashboard did not start within 120 s:\n${stderr}`));
    }, 120_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /dashboard: (http:\/\/\S+?)\/ /.exec(stderr);
      if (match) {
        clearTimeout(deadline);
        resolveUrl(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(deadline);
      reject(new Error(`tipstream dashboard exited with ${code}:\n${stderr}`));
    });
  });
  return { url, process: child };
}

/** Stops a dashboard started above, if it still runs. */
export async function stopDashboardCommand(started: DashboardProcess | undefined): Promise<void> {
  if (!started || started.process.exitCode !== null) return;
  started.process.kill('SIGTERM');
  await once(started.process, 'exit');
}
