// `tipstream upgrade`: the running job stops with a savepoint, and the current SQL and settings
// start from it. When Flink cannot map the savepoint's state onto the new job (an operator with
// state is gone or changed shape), the previous SQL and settings are started again from the same
// savepoint and the upgrade is refused with Flink's reason: the pipeline keeps running, and no
// state is dropped silently.
import type { ResolvedConfig } from '../common/config.js';
import { UserError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { deployJob, readDeployment, type Deployment } from './deploy.js';
import { FlinkRestClient } from '../clients/index.js';
import { functionsJarPath } from './functions-jar.js';
import { jobValues } from './job-values.js';
import { renderJob } from './sql-template.js';
import { flinkRestOptions } from '../common/client-options.js';

export interface UpgradeOptions {
  /** Where the savepoint goes (default: the cluster's `execution.checkpointing.savepoint-dir`). */
  savepointDir?: string;
  /** New templates (default sql/): tests use this to try an incompatible change. */
  sqlDir?: string;
}

export interface UpgradeResult {
  previous: Deployment;
  savepoint: string;
  deployment: Deployment;
}

const STATE_MISMATCH = /Cannot map checkpoint\/savepoint state|Failed to rollback to checkpoint\/savepoint|not compatible with|incompatible/i;

export async function upgradeJob(config: ResolvedConfig, options: UpgradeOptions, progress: Progress): Promise<UpgradeResult> {
  const previous = await readDeployment(config);
  if (!previous) throw new UserError('TIPSTREAM_NOT_FOUND', 'no job has been deployed from here yet (run `tipstream deploy`)');
  const flink = new FlinkRestClient(flinkRestOptions(config));
  const state = (await flink.job(previous.jobId)).state;
  if (state !== 'RUNNING') throw new UserError('TIPSTREAM_USAGE', `job ${previous.jobId} is ${state}, not RUNNING: deploy it again instead of upgrading`);

  // Render the new job before touching the old one, so a template or setting error stops here.
  await renderJob(jobValues(config, { bounded: previous.bounded, topics: previous.topics, ...(previous.clock ? { clock: previous.clock } : {}) }, await functionsJarPath(config)), ...(options.sqlDir ? [options.sqlDir] : []));

  progress.step(`stopping job ${previous.jobId} with a savepoint`);
  const savepoint = await flink.stopWithSavepoint(previous.jobId, options.savepointDir);
  progress.step(`savepoint at ${savepoint}; starting the new job from it`);
  const common = {
    bounded: previous.bounded,
    topics: previous.topics,
    jobName: previous.jobName,
    savepoint,
    ...(previous.clock ? { clock: previous.clock } : {}),
  };
  try {
    const deployment = await deployJob(config, { ...common, ...(options.sqlDir ? { sqlDir: options.sqlDir } : {}) }, progress);
    return { previous, savepoint, deployment };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (!STATE_MISMATCH.test(reason) || !previous.sqlCopy || !previous.job) throw err;
    progress.step('the new job cannot use the savepoint; starting the previous job again from it');
    const restored = await deployJob({ ...config, job: previous.job }, { ...common, sqlDir: previous.sqlCopy }, progress);
    throw new UserError(
      'TIPSTREAM_USAGE',
      `upgrade refused: the new job is not state-compatible with savepoint ${savepoint} (${reason.replace(/\s+/g, ' ').slice(0, 400)}). ` +
        `The previous job runs again from that savepoint as ${restored.jobId}; nothing was lost. ` +
        'To start the new SQL without the old state, `tipstream stop` and `tipstream deploy` it.',
    );
  }
}
