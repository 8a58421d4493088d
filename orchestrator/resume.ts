// `tipstream deploy --resume`: the recorded job again, from its latest completed checkpoint, after
// the cluster lost it (a JobManager that died: a standalone cluster has no high availability, so
// its jobs die with it, but their checkpoints stay on disk). The job is started with the SQL and
// settings it was deployed with, so its state fits.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedConfig } from '../common/config.js';
import { UserError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { deployJob, readDeployment, type Deployment } from './deploy.js';
import { FlinkRestClient } from '../clients/index.js';
import { flinkRestOptions } from '../common/client-options.js';

/** States in which the job still runs (or will again by itself): nothing to resume. */
const ALIVE = new Set(['INITIALIZING', 'CREATED', 'RUNNING', 'RESTARTING', 'RECONCILING', 'FAILING', 'CANCELLING']);

/**
 * The latest completed checkpoint of a job: from Flink while it still knows the job, otherwise
 * from the cluster's checkpoint folder (`<dir>/<jobId>/chk-N/_metadata`, local file systems).
 */
export async function latestCheckpoint(flink: FlinkRestClient, jobId: string): Promise<string> {
  const known = await flink.checkpoints(jobId).catch(() => undefined);
  const path = (known?.latest?.completed as { external_path?: string } | undefined)?.external_path;
  if (path) return path;
  const config = await flink.clusterConfig();
  const dir = config['execution.checkpointing.dir'] ?? config['state.checkpoints.dir'];
  if (!dir) throw new UserError('TIPSTREAM_NOT_FOUND', `Flink at ${flink.baseUrl} has no checkpoint directory configured (execution.checkpointing.dir), so job ${jobId}'s checkpoints cannot be found; deploy --savepoint PATH instead`);
  if (!dir.startsWith('file:')) throw new UserError('TIPSTREAM_NOT_FOUND', `job ${jobId}'s checkpoints are in ${dir}, which tipstream cannot list; deploy --savepoint <the latest chk-N folder there> instead`);
  const jobDir = join(fileURLToPath(dir.replace(/^file:\/*/, 'file:///')), jobId);
  const numbers = existsSync(jobDir)
    ? (await readdir(jobDir))
        .map((name) => /^chk-(\d+)$/.exec(name)?.[1])
        .filter((n): n is string => n !== undefined && existsSync(join(jobDir, `chk-${n}`, '_metadata')))
        .map(Number)
    : [];
  if (numbers.length === 0) throw new UserError('TIPSTREAM_NOT_FOUND', `job ${jobId} left no completed checkpoint in ${jobDir}`);
  return join(jobDir, `chk-${Math.max(...numbers)}`);
}

export async function resumeJob(config: ResolvedConfig, progress: Progress): Promise<Deployment & { resumedFrom: string }> {
  const previous = await readDeployment(config);
  if (!previous) throw new UserError('TIPSTREAM_NOT_FOUND', 'no job has been deployed from here yet (run `tipstream deploy`)');
  const flink = new FlinkRestClient(flinkRestOptions(config));
  const state = await flink.job(previous.jobId).then((job) => job.state, () => undefined);
  if (state && ALIVE.has(state)) throw new UserError('TIPSTREAM_USAGE', `job ${previous.jobId} is ${state}: there is nothing to resume`);
  const checkpoint = await latestCheckpoint(flink, previous.jobId);
  progress.step(`resuming job ${previous.jobId} (${state ?? 'unknown to Flink'}) from ${checkpoint}`);
  const deployment = await deployJob(
    { ...config, job: { ...config.job, ...previous.job } },
    {
      bounded: previous.bounded,
      topics: previous.topics,
      jobName: previous.jobName,
      savepoint: checkpoint,
      sqlDir: previous.sqlCopy,
      ...(previous.clock ? { clock: previous.clock } : {}),
      ...(previous.rescales ? { rescales: previous.rescales } : {}),
    },
    progress,
  );
  return { ...deployment, resumedFrom: checkpoint };
}
