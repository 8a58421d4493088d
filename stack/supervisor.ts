// The local stack's supervisor: `stack up` starts it as a process of its own, and it brings back a
// service whose process died (a TaskManager killed with -9, a Kafka that crashed), with back-off
// between attempts and a limit for a service that keeps dying. What it is doing is written to
// supervisor.json in the state folder, where `stack status` reads it.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { join } from 'node:path';
import type { ResolvedConfig } from '../common/config.js';
import { childLogger } from '../common/logger.js';

const log = childLogger('stack');

export interface RestartPolicy {
  /** Wait before the first restart of a service; doubled for each restart in the window. */
  firstBackoffMs: number;
  maxBackoffMs: number;
  /** A service restarted this many times within `crashLoopWindowMs` is left down (a crash loop). */
  crashLoopRestarts: number;
  crashLoopWindowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  firstBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  crashLoopRestarts: 5,
  crashLoopWindowMs: 10 * 60_000,
};

/** What the supervisor says of a service: `restarting` from its death until it answers again. */
export interface SupervisedState {
  state: 'up' | 'restarting' | 'crash-loop';
  /** When each restart was launched (ms since the epoch), within the crash-loop window. */
  restarts: number[];
  /** When the supervisor found the process gone, or a relaunch of it was made (the back-off counts from there). */
  diedAt?: number;
  /** When the supervisor found the process gone, for the recovery time. */
  goneAt?: number;
  /** Seconds from the death to answering again, for the latest recovery. */
  lastRecoverySeconds?: number;
}

/** By stack service (its own name: `flink-taskmanager-2` for the second TaskManager), and by app (the udf-service `start` left running). */
export type SupervisorState = Partial<Record<string, SupervisedState>>;

export type RestartDecision = { action: 'restart' } | { action: 'wait'; untilMs: number } | { action: 'give-up' };

/** Whether to restart a dead service now, later, or not at all, from its recent restarts. */
export function restartDecision(restarts: number[], diedAt: number, now: number, policy: RestartPolicy): RestartDecision {
  const recent = restarts.filter((at) => now - at < policy.crashLoopWindowMs);
  if (recent.length >= policy.crashLoopRestarts) return { action: 'give-up' };
  const backoff = Math.min(policy.firstBackoffMs * 2 ** recent.length, policy.maxBackoffMs);
  const untilMs = diedAt + backoff;
  return now >= untilMs ? { action: 'restart' } : { action: 'wait', untilMs };
}

export function supervisorFile(config: ResolvedConfig): string {
  return join(config.stateDir, 'supervisor.json');
}

export async function readSupervisorState(config: ResolvedConfig): Promise<SupervisorState> {
  const file = supervisorFile(config);
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(await readFile(file, 'utf8')) as SupervisorState;
  } catch {
    return {};
  }
}

export async function writeSupervisorState(config: ResolvedConfig, state: SupervisorState): Promise<void> {
  // Written aside and renamed, so `stack status` never reads half a file.
  const file = supervisorFile(config);
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
}

export interface Supervisable {
  name: string;
  alive: () => boolean;
  answers: () => Promise<boolean>;
  /** Launches it again; returns the new pid. */
  restart: () => Promise<number>;
  logFile: string;
}

/**
 * One round of the supervisor for one process: an alive one that was restarting is up once it
 * answers; a dead one is restarted after its back-off, or left down in a crash loop. Returns
 * whether its entry changed.
 */
export async function superviseStep(entry: SupervisedState, policy: RestartPolicy, target: Supervisable): Promise<boolean> {
  const now = Date.now();
  if (target.alive()) {
    // Left down after a crash loop, and now running: someone started it anew (`stack up`, `start`),
    // so it is supervised again from a clean slate.
    if (entry.state === 'crash-loop') {
      Object.assign(entry, { state: 'up', restarts: [] });
      log.info({ service: target.name }, 'running again after a crash loop: supervised again');
      return true;
    }
    if (entry.state === 'restarting' && (await target.answers())) {
      entry.state = 'up';
      entry.lastRecoverySeconds = (Date.now() - entry.goneAt!) / 1000;
      log.info({ service: target.name, seconds: entry.lastRecoverySeconds }, 'answers again');
      return true;
    }
    return false;
  }
  if (entry.state === 'crash-loop') return false;
  let changed = false;
  if (entry.state === 'up') {
    Object.assign(entry, { state: 'restarting', diedAt: now, goneAt: now });
    log.warn({ service: target.name }, 'process is gone');
    changed = true;
  }
  const decision = restartDecision(entry.restarts, entry.diedAt!, now, policy);
  if (decision.action === 'give-up') {
    entry.state = 'crash-loop';
    log.error({ service: target.name, restarts: entry.restarts.length }, `restarted ${entry.restarts.length} times within ${policy.crashLoopWindowMs / 60_000} min; left down (see its log: ${target.logFile})`);
    return true;
  }
  if (decision.action === 'restart') {
    const pid = await target.restart();
    entry.restarts = [...entry.restarts.filter((at) => now - at < policy.crashLoopWindowMs), now];
    // A relaunch that dies again is a new death, with the next back-off from then.
    entry.diedAt = now;
    log.warn({ service: target.name, pid, attempt: entry.restarts.length }, 'restarted');
    return true;
  }
  return changed;
}
