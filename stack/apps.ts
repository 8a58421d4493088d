// tipstream's own long-running processes that `tipstream start` leaves up for exploring (the
// udf-service): started detached, recorded by pid and command in the state folder, brought back
// by the stack's supervisor when they die, and stopped by `tipstream stack down` before the
// stack itself.
import { existsSync } from 'node:fs';
import axios from 'axios';
import { mkdir, readFile, rm } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { dirname, join } from 'node:path';
import { childEnvironment, projectRoot, type ResolvedConfig } from '../common/config.js';
import { isRunning, launchDetached, stopProcess, type ProcessIdentity } from './processes.js';

export type AppName = 'udf-service';

/** A started app: its process, log, and the `tipstream` arguments that start it again. */
export type RecordedApp = ProcessIdentity & { logFile: string; args?: string[] };

interface AppsState {
  apps: Partial<Record<AppName, RecordedApp>>;
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
  // Written aside and renamed: the supervisor and `stack status` read it while it changes.
  await writeFileAtomic(stateFile(config), `${JSON.stringify(state, null, 2)}\n`);
}

/** The app's recorded process, when it is still the one we started and alive. */
export async function runningApp(config: ResolvedConfig, name: AppName): Promise<(ProcessIdentity & { logFile: string }) | undefined> {
  const app = (await readState(config)).apps[name];
  return app && isRunning(app) ? app : undefined;
}

/**
 * Starts `tipstream <args>` in the background with its output in the state folder's logs. One
 * process per app and state folder: one still recorded and running (another port, another
 * checkout) is stopped first, by its pid, rather than left running with no record of it.
 */
export async function startApp(config: ResolvedConfig, name: AppName, args: string[]): Promise<ProcessIdentity & { logFile: string }> {
  const logFile = join(config.stateDir, 'logs', `${name}.log`);
  await mkdir(dirname(logFile), { recursive: true });
  const previous = (await readState(config)).apps[name];
  if (previous && isRunning(previous)) await stopProcess(previous, 15_000);
  const identity = launchDetached({
    command: process.execPath,
    args: [join(projectRoot, 'bin', 'tipstream.js'), ...args],
    env: childEnvironment({ TIPSTREAM_STATE_DIR: config.stateDir }),
    cwd: process.cwd(),
    logFile,
  });
  const state = await readState(config);
  state.apps[name] = { ...identity, logFile, args };
  await writeState(config, state);
  return state.apps[name]!;
}

/** Stops the app (by its pid) and forgets it: one that never came up is nothing to bring back. */
export async function forgetApp(config: ResolvedConfig, name: AppName): Promise<void> {
  const state = await readState(config);
  const app = state.apps[name];
  if (!app) return;
  await stopProcess(app, 15_000);
  delete state.apps[name];
  await writeState(config, state);
}

/** Every recorded app, running or not. */
export async function recordedApps(config: ResolvedConfig): Promise<Partial<Record<AppName, RecordedApp>>> {
  return (await readState(config)).apps;
}

/** Whether the app answers: the udf-service's readiness on its configured port. */
export async function appAnswers(config: ResolvedConfig, name: AppName): Promise<boolean> {
  if (name !== 'udf-service') return false;
  return axios.get(`http://${config.host}:${config.udf.port}/readyz`, { timeout: 2_000 }).then((r) => r.status === 200, () => false);
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
