// The live job's savepoints: the stop with a savepoint (at Ctrl-C, and when a killed run's job is
// taken over), and the resume from one.
import { InfrastructureError, UserError } from '../../common/errors.js';
import { childLogger } from '../../common/logger.js';
import { isRetriable, pollUntil, systemClock, type Clock } from '../../common/retry.js';
import { terminalStates, type FlinkRestClient } from '../../clients/index.js';

const log = childLogger('live');

/** What taking a savepoint asks of Flink. */
export type SavepointFlink = Pick<FlinkRestClient, 'job' | 'stopWithSavepoint'>;

/**
 * A savepoint needs every task running: a job just resumed (its slots still coming back) refuses
 * one, and one taken while a broker restarts may fail with the sink that could not flush. So,
 * within four minutes: wait until every task runs, trigger, and follow the savepoint; a refusal,
 * or a failed savepoint of a job that still runs, is tried again. A savepoint in progress is
 * followed to the deadline, never triggered twice (in CI a stop that tried again after five
 * minutes of an unfinished savepoint ran past the fault suite's limit).
 */
export async function stopWithSavepointWhenRunning(flink: SavepointFlink, jobId: string, { timeoutMs = 240_000, clock = systemClock }: { timeoutMs?: number; clock?: Clock } = {}): Promise<string> {
  const deadline = clock.now() + timeoutMs;
  return pollUntil(
    `a savepoint of job ${jobId}`,
    async () => {
      const job = await flink.job(jobId);
      if (terminalStates.includes(job.state)) throw new InfrastructureError('TIPSTREAM_START', `job ${jobId} is ${job.state}: no savepoint can be taken of it`);
      if (!job.vertices.every((v) => v.status === 'RUNNING')) return undefined;
      try {
        return await flink.stopWithSavepoint(jobId, undefined, Math.max(1_000, deadline - clock.now()));
      } catch (err) {
        // Failed, not refused: the job may have restarted meanwhile; the next round sees.
        if (err instanceof InfrastructureError && err.code === 'TIPSTREAM_START') {
          log.warn({ jobId, err: err.message }, 'the savepoint failed; trying again once every task runs');
          return undefined;
        }
        throw err;
      }
    },
    // Flink refusing (HTTP 500 while tasks restart) or away for a moment is retriable; a job that
    // ended, or a savepoint unfinished at the deadline, is not.
    { timeoutMs, intervalMs: 1_000, clock, giveUp: (err) => !isRetriable(err) },
  );
}

/** For a failed deploy from `resumeFrom`: the error to throw; `stateFile` is what to delete to start over. */
export function unrestorable(resumeFrom: string | undefined, stateFile: string): (err: unknown) => never {
  return (err) => {
    // A savepoint of another program (the SQL changed since, e.g. a tipstream upgrade) cannot be
    // restored into this one: say what to do rather than only what Flink says.
    if (resumeFrom && /Cannot map checkpoint\/savepoint state/.test((err as Error).message)) {
      throw new UserError('TIPSTREAM_SQL', `the live run's savepoint ${resumeFrom} was taken by a different job (its SQL changed since) and cannot be restored into this one; delete ${stateFile} to start over with a new clock (the README, "Upgrading across this release's job change", says how to carry a running job over)`, { cause: err });
    }
    throw err;
  };
}
