// `tipstream rescale --parallelism P`: the running job stops with a savepoint and starts again from
// it at another parallelism, with the SQL and settings it was deployed with (only the parallelism
// changes), and the record keeps each change. Its keyed state is spread over the new subtasks by
// key group, which works because the job's max parallelism and its operators' uids stay the same.
// When the new parallelism does not come up (too few free slots), the job starts again at its old
// parallelism from the same savepoint: nothing is lost either way.
import type { ResolvedConfig } from '../common/config.js';
import { UserError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { FlinkRestClient } from '../clients/index.js';
import { deployJob, readDeployment, type Deployment } from './deploy.js';
import { flinkRestOptions } from '../common/client-options.js';

export interface RescaleOptions {
  parallelism: number;
  /** Where the savepoint goes (default: the cluster's `execution.checkpointing.savepoint-dir`). */
  savepointDir?: string;
  /** Wait at most this long for the job to run at the new parallelism. */
  timeoutMs?: number;
}

export interface RescaleResult {
  previous: Deployment;
  savepoint: string;
  deployment: Deployment;
}

export async function rescaleJob(config: ResolvedConfig, options: RescaleOptions, progress: Progress): Promise<RescaleResult> {
  const previous = await readDeployment(config);
  if (!previous) throw new UserError('TIPSTREAM_NOT_FOUND', 'no job has been deployed from here yet (run `tipstream deploy`)');
  if (!previous.job || !previous.sqlCopy) throw new UserError('TIPSTREAM_USAGE', `job ${previous.jobId} was deployed by an older tipstream that kept neither its settings nor its SQL; rescale it with \`tipstream upgrade --parallelism ${options.parallelism}\``);
  const from = previous.job.parallelism;
  const maxParallelism = previous.job.maxParallelism ?? config.job.maxParallelism;
  if (options.parallelism > maxParallelism) {
    throw new UserError('TIPSTREAM_USAGE', `--parallelism ${options.parallelism} is above the job's max parallelism ${maxParallelism}, the number of key groups its state is kept in; a job can never be rescaled past it`);
  }
  const flink = new FlinkRestClient(flinkRestOptions(config));
  const state = (await flink.job(previous.jobId)).state;
  if (state !== 'RUNNING') throw new UserError('TIPSTREAM_USAGE', `job ${previous.jobId} is ${state}, not RUNNING: there is nothing to rescale (deploy --resume brings a lost job back)`);
  if (options.parallelism === from) throw new UserError('TIPSTREAM_USAGE', `job ${previous.jobId} already runs at parallelism ${from}`);
  const slots = await flink.slots();
  // The running job's own slots are freed by its stop: at most `from` of them come back.
  if (options.parallelism > slots.free + from) {
    throw new UserError('TIPSTREAM_USAGE', `parallelism ${options.parallelism} needs ${options.parallelism} slots and the cluster has ${slots.free} free besides the job's ${from} (${slots.total} in all); add TaskManagers (\`tipstream stack up --taskmanagers N\`) or slots first`);
  }

  progress.step(`stopping job ${previous.jobId} (parallelism ${from}) with a savepoint`);
  const savepoint = await flink.stopWithSavepoint(previous.jobId, options.savepointDir);
  progress.step(`savepoint at ${savepoint}; starting the job from it at parallelism ${options.parallelism}`);
  const redeploy = (parallelism: number, rescales: Deployment['rescales']) =>
    deployJob(
      { ...config, job: { ...config.job, ...previous.job, maxParallelism, parallelism } },
      {
        bounded: previous.bounded,
        topics: previous.topics,
        jobName: previous.jobName,
        savepoint,
        sqlDir: previous.sqlCopy,
        ...(previous.clock ? { clock: previous.clock } : {}),
        ...(rescales?.length ? { rescales } : {}),
      },
      progress,
    );
  const change = { at: new Date().toISOString(), from, to: options.parallelism, savepoint, previousJobId: previous.jobId };
  const timeoutMs = options.timeoutMs ?? 120_000;
  let attempted: string | undefined;
  try {
    const deployment = await redeploy(options.parallelism, [...(previous.rescales ?? []), change]);
    attempted = deployment.jobId;
    await flink.waitForTasksRunning(deployment.jobId, timeoutMs);
    progress.step(`job ${deployment.jobId} runs at parallelism ${options.parallelism}, every task running`);
    return { previous, savepoint, deployment };
  } catch (err) {
    // A job whose tasks wait for slots would take them later, beside the one restored below.
    if (attempted) await flink.cancel(attempted).catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    progress.step(`the job did not start at parallelism ${options.parallelism}; starting it again at ${from} from the same savepoint`);
    const restored = await redeploy(from, previous.rescales);
    throw new UserError(
      'TIPSTREAM_USAGE',
      `rescale to ${options.parallelism} failed (${reason.replace(/\s+/g, ' ').slice(0, 400)}); the job runs again at parallelism ${from} from savepoint ${savepoint} as ${restored.jobId}, nothing lost`,
    );
  }
}
