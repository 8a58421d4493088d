// The start of a live run after another: where its job resumes from, taking over the job of a run
// that was killed.
import { childLogger } from '../../common/logger.js';
import { terminalStates, type FlinkRestClient } from '../../clients/index.js';
import { latestCheckpoint } from '../../orchestrator/index.js';
import { stopWithSavepointWhenRunning } from './savepoint.js';
import type { LiveState } from './state.js';

const log = childLogger('live');

/**
 * Where to resume from: the savepoint of a clean stop; or, after a run that was killed, its job
 * stopped now with a savepoint when it still runs (never two live jobs at once), else that job's
 * latest completed checkpoint, else the older savepoint.
 */
export async function stateToResumeFrom(flink: FlinkRestClient, previous: LiveState): Promise<string | undefined> {
  if (!previous.running) return previous.savepoint;
  const job = await flink.job(previous.jobId).catch(() => undefined);
  if (job && !terminalStates.includes(job.state)) {
    log.warn({ jobId: previous.jobId }, 'the last live run ended without Ctrl-C and its job still runs: stopping it with a savepoint to resume from');
    return stopWithSavepointWhenRunning(flink, previous.jobId);
  }
  const checkpoint = await latestCheckpoint(flink, previous.jobId).catch(() => undefined);
  log.warn({ jobId: previous.jobId, checkpoint: checkpoint ?? previous.savepoint }, 'the last live run ended without Ctrl-C; resuming from its latest checkpoint');
  return checkpoint ?? previous.savepoint;
}
