// Background processes owned by the stack: started detached with their output in a log file,
// identified by pid plus start time (so a recycled pid is never mistaken for ours), stopped by pid.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { InfrastructureError, PortInUseError } from '../common/errors.js';
import { pollUntil } from '../common/retry.js';

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22). */
  startTicks: number;
}

export interface LaunchSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
}

export function launchDetached(spec: LaunchSpec): ProcessIdentity {
  const out = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) throw new InfrastructureError('TIPSTREAM_START', `could not start ${spec.command}`);
    child.unref();
    return { pid: child.pid, startTicks: startTicksOf(child.pid) ?? 0 };
  } finally {
    closeSync(out);
  }
}

function startTicksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** True while the process we started is alive (and not a zombie, and not a recycled pid). */
export function isRunning(identity: ProcessIdentity): boolean {
  const ticks = startTicksOf(identity.pid);
  if (ticks === undefined) return false;
  if (identity.startTicks !== 0 && ticks !== identity.startTicks) return false;
  try {
    const state = readFileSync(`/proc/${identity.pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resident memory in MiB, from /proc. */
export function residentMemoryMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, wait up to graceMs for exit, then SIGKILL and wait again. Resolves once it is gone. */
export async function stopProcess(identity: ProcessIdentity, graceMs = 30_000): Promise<void> {
  if (!isRunning(identity)) return;
  signal(identity.pid, 'SIGTERM');
  if (await waitForExit(identity, graceMs)) return;
  signal(identity.pid, 'SIGKILL');
  if (!(await waitForExit(identity, 10_000))) {
    throw new InfrastructureError('TIPSTREAM_TIMEOUT', `process ${identity.pid} did not exit after SIGKILL`);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitForExit(identity: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  return pollUntil(`process ${identity.pid} to exit`, async () => !isRunning(identity), { timeoutMs, intervalMs: 100, onTimeout: 'return' });
}

/** Throws PortInUseError naming the port and the service when something already listens there. */
export async function assertPortFree(service: string, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') reject(new PortInUseError(service, host, port));
      else reject(new InfrastructureError('TIPSTREAM_START', `cannot check port ${port} on ${host}`, { cause: err }));
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** The TCP ports a process listens on (Linux: its socket inodes matched against /proc/net/tcp*). */
export function listeningPorts(pid: number): number[] {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((inode): inode is string => inode !== undefined),
    );
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT, st 0A is LISTEN, inode is field 9.
      if (f[3] === '0A' && inodes.has(f[9]!)) ports.push(Number.parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}
