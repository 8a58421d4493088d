// tipstream's own long-running processes that `tipstream start` leaves up for exploring (the
// udf-service): started detached, recorded by pid in the state
// folder, and stopped by `tipstream stack down` before the stack itself.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { childEnvironment, projectRoot, type ResolvedConfig } from '../common/config.js';
import { isRunning, launchDetached, stopProcess, type ProcessIdentity } from './processes.js';

export type AppName = 'udf-service';

interface AppsState {
  apps: Partial<Record<AppName, ProcessIdentity & { logFile: string }>>;
}

function stateFile(config: ResolvedConfig): string {
  return join(config.stateDir, 'apps.json');
}

async function readState(config: ResolvedConfig): Promise<AppsState> {
  const file = stateFile(config);
  if (!existsSync(file)) return { apps: {} };
  return JSON.parse(await readFile(file, 'utf8')) as AppsState;
}

async function writeState(config: ResolvedConfig, state: AppsState): Promise<void> {
  await mkdir(config.stateDir, { recursive: true });
  await writeFile(stateFile(config), `${JSON.stringify(state, null, 2)}\n`);
}

/** The app's recorded process, when it is still the one we started and alive. */
export async function runningApp(config: ResolvedConfig, name: AppName): Promise<(ProcessIdentity & { logFile: string }) | undefined> {
  const app = (await readState(config)).apps[name];
  return app && isRunning(app) ? app : undefined;
}

/** Starts `tipstream <args>` in the background with its output in the state folder's logs. */
export async function startApp(config: ResolvedConfig, name: AppName, args: string[]): Promise<ProcessIdentity & { logFile: string }> {
  const logFile = join(config.stateDir, 'logs', `${name}.log`);
  await mkdir(dirname(logFile), { recursive: true });
  const identity = launchDetached({
    command: process.execPath,
    args: [join(projectRoot, 'bin', 'tipstream.js'), ...args],
    env: childEnvironment({ TIPSTREAM_STATE_DIR: config.stateDir }),
    cwd: process.cwd(),
    logFile,
  });
  const state = await readState(config);
  state.apps[name] = { ...identity, logFile };
  await writeState(config, state);
  return state.apps[name]!;
}

/** Stops every recorded app (by its pid) and forgets them; returns the names that were running. */
export async function stopApps(config: ResolvedConfig): Promise<AppName[]> {
  const state = await readState(config);
  const stopped: AppName[] = [];
  for (const [name, app] of Object.entries(state.apps) as Array<[AppName, ProcessIdentity]>) {
    if (isRunning(app)) stopped.push(name);
    await stopProcess(app, 15_000);
  }
  await rm(stateFile(config), { force: true });
  return stopped;
}
