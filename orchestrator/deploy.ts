// Deploys the Flink job: renders sql/, creates missing topics, submits everything through one
// SQL Gateway session, waits until the job runs, and records the deployment in a state file.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../common/config.js';
import { parseDurationMs } from '../common/duration.js';
import { InfrastructureError, UserError } from '../common/errors.js';
import { childLogger } from '../common/logger.js';
import type { Progress } from '../common/progress.js';
import { ensureTopics, FlinkRestClient, SqlGatewayClient, SqlStatementError, topicPartitions } from '../clients/index.js';
import { ensureFunctionsJar } from './functions-jar.js';
import { jobValues, sessionProperties, type JobOptions, type LiveClock } from './job-values.js';
import { renderJob, sqlDir as defaultSqlDir, type RenderedStatement } from './sql-template.js';
import { flinkRestOptions, kafkaEndpoint, kafkaTopicOptions, sqlGatewayOptions } from '../common/client-options.js';

const log = childLogger('deploy');

export interface Deployment {
  jobId: string;
  jobName: string;
  /** sha256 of the rendered SQL (secrets included, so it changes when they do; never printed). */
  sqlHash: string;
  deployedAt: string;
  bounded: boolean;
  topics: { rideTopic: string; fareTopic: string; deadLetterTopic: string; statsTopic: string };
  restoredFrom?: string;
  /** Live mode's clock, which a redeploy of the same job (rescale, upgrade) must keep. */
  clock?: LiveClock;
  /** Rescales of this job, oldest first: each a stop with a savepoint and a start from it at another parallelism. */
  rescales?: Array<{ at: string; from: number; to: number; savepoint: string; previousJobId: string }>;
  /** The job settings it ran with, and a copy of its SQL templates: what `upgrade` rolls back to. */
  job?: ResolvedConfig['job'];
  sqlCopy?: string;
}

export interface DeployOptions extends JobOptions {
  jobName?: string;
  /** Restore the job's state from this savepoint. */
  savepoint?: string;
  /** Wait at most this long for the job to run. */
  timeoutMs?: number;
  /** Templates from another folder than sql/ (an upgrade's rollback uses the deployed copy). */
  sqlDir?: string;
  /** Functions from another copy of flink-udf/ (bench:pipeline's before, with that version's sql/). */
  functionsSourceDir?: string;
  /** Kept in the record (a rescale carries them over). */
  rescales?: Deployment['rescales'];
}

export function deploymentFile(config: ResolvedConfig): string {
  return join(config.stateDir, 'deployment.json');
}

export async function readDeployment(config: ResolvedConfig): Promise<Deployment | undefined> {
  const file = deploymentFile(config);
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as Deployment;
}

async function writeDeployment(config: ResolvedConfig, deployment: Deployment): Promise<void> {
  await mkdir(config.stateDir, { recursive: true });
  await writeFile(deploymentFile(config), `${JSON.stringify(deployment, null, 2)}\n`);
}

const MIN_SAFE_IDLE_MS = 10_000;

export async function deployJob(config: ResolvedConfig, options: DeployOptions, progress: Progress): Promise<Deployment> {
  const topics = {
    rideTopic: options.topics?.rideTopic ?? config.kafka.rideTopic,
    fareTopic: options.topics?.fareTopic ?? config.kafka.fareTopic,
    deadLetterTopic: options.topics?.deadLetterTopic ?? config.kafka.deadLetterTopic,
    statsTopic: options.topics?.statsTopic ?? config.kafka.statsTopic,
  };
  const jobName = options.jobName ?? 'tipstream';
  const sqlDir = options.sqlDir ?? defaultSqlDir;
  if (config.job.parallelism > config.job.maxParallelism) {
    throw new UserError('TIPSTREAM_USAGE', `job.parallelism ${config.job.parallelism} is above job.maxParallelism ${config.job.maxParallelism}: Flink cannot run more subtasks than key groups`);
  }
  const created = await ensureTopics(kafkaTopicOptions(config), Object.values(topics));
  if (created.length > 0) progress.step(`created topics ${created.join(', ')} (${config.kafka.partitions} partitions)`);
  config = await withEmptySubtasksIdle(config, options, topics, progress);

  const statements = await renderJob(jobValues(config, { ...options, topics }, await ensureFunctionsJar(config, progress, options.functionsSourceDir)), sqlDir);
  const idleMs = parseDurationMs(config.job.idleTimeout, 'job.idleTimeout');
  if (!options.bounded && idleMs < MIN_SAFE_IDLE_MS) {
    // Seen on a cold stack with 2 s: one source was idle while still starting, the other's watermark
    // ran ahead, and the interval join dropped most of the late starter's trips without a count.
    log.warn({ idleTimeout: config.job.idleTimeout }, `job.idleTimeout ${config.job.idleTimeout} is short: a source that takes longer to start (or stalls) is treated as idle, the other stream's watermark runs ahead and the join drops its trips; ${MIN_SAFE_IDLE_MS / 1000} s or more is safer`);
  }

  const properties = sessionProperties(config, jobName);
  if (options.savepoint) properties['execution.state-recovery.path'] = options.savepoint;
  const gateway = new SqlGatewayClient(sqlGatewayOptions(config));
  const session = await gateway.openSession({ sessionName: jobName, properties });
  let jobId: string | undefined;
  try {
    for (const statement of statements) {
      progress.step(`submitting sql/${statement.file} statement ${statement.index}: ${headline(statement)}`);
      log.debug({ file: statement.file, sql: statement.printable }, 'statement');
      const result = await session.execute(statement.sql).catch((err: unknown) => {
        throw describeStatementFailure(statement, err);
      });
      if (result.jobId) jobId = result.jobId;
    }
  } finally {
    await session.close().catch(() => undefined);
  }
  if (!jobId) throw new InfrastructureError('TIPSTREAM_SQL', 'the statement set was accepted but the SQL Gateway returned no job id');

  const flink = new FlinkRestClient(flinkRestOptions(config));
  await flink.waitForState(jobId, options.bounded ? ['RUNNING', 'FINISHED'] : ['RUNNING'], options.timeoutMs ?? 120_000);
  const deployment: Deployment = {
    jobId,
    jobName,
    sqlHash: createHash('sha256').update(statements.map((s) => s.sql).join('\n;\n')).digest('hex'),
    deployedAt: new Date().toISOString(),
    bounded: options.bounded,
    topics,
    ...(options.savepoint ? { restoredFrom: options.savepoint } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.rescales?.length ? { rescales: options.rescales } : {}),
    job: config.job,
    sqlCopy: await keepSqlCopy(config, jobId, sqlDir),
  };
  await writeDeployment(config, deployment);
  return deployment;
}

/** The longest an unbounded job's source subtask with no partition may wait before it counts as idle. */
export const EMPTY_SUBTASK_IDLE_MAX = '30 s';

/**
 * With more subtasks than a topic has partitions, Kafka's source gives some subtasks no partition.
 * Bounded, they finish at once and hold nothing back. Unbounded, such a subtask never sends a
 * watermark and holds back every window until it counts as idle (FLINK-25818): after the idle
 * timeout. So the idle timeout is kept short there, and the deployer is told. (The sources cannot
 * simply run with fewer subtasks, `scan.parallelism`: the parse must stay chained to its source,
 * flink-udf/ EventTimeGuard.java.)
 */
async function withEmptySubtasksIdle(config: ResolvedConfig, options: DeployOptions, topics: Deployment['topics'], progress: Progress): Promise<ResolvedConfig> {
  if (options.bounded) return config;
  const partitions = await topicPartitions(kafkaEndpoint(config), [topics.rideTopic, topics.fareTopic]).catch((err: unknown) => {
    log.warn({ err: (err as Error).message }, 'the topics\' partition counts are unknown; source subtasks past them would wait for the idle timeout');
    return {} as Record<string, number>;
  });
  const fewest = Math.min(...Object.values(partitions));
  if (!Number.isFinite(fewest) || config.job.parallelism <= fewest) return config;
  const idleMs = parseDurationMs(config.job.idleTimeout, 'job.idleTimeout');
  const capMs = parseDurationMs(EMPTY_SUBTASK_IDLE_MAX, 'idle timeout');
  const idleTimeout = idleMs > capMs ? EMPTY_SUBTASK_IDLE_MAX : config.job.idleTimeout;
  progress.step(
    `parallelism ${config.job.parallelism} is above the ${fewest} partitions of the smaller topic: ${config.job.parallelism - fewest} source subtask(s) read nothing and count as idle after ${idleTimeout}, until then windows wait` +
      (idleTimeout !== config.job.idleTimeout ? ` (idle timeout ${config.job.idleTimeout} shortened to ${idleTimeout})` : ''),
  );
  return idleTimeout === config.job.idleTimeout ? config : { ...config, job: { ...config.job, idleTimeout } };
}

/** Copies the templates a job was deployed from next to its record. */
async function keepSqlCopy(config: ResolvedConfig, jobId: string, from: string): Promise<string> {
  const to = join(config.stateDir, 'deployments', jobId, 'sql');
  await mkdir(to, { recursive: true });
  await cp(from, to, { recursive: true, filter: (path) => !path.includes('..') });
  return to;
}

/** One clear message naming the file and statement, with Flink's own reason. */
function describeStatementFailure(statement: RenderedStatement, err: unknown): Error {
  if (err instanceof SqlStatementError) {
    const reason = err.message.replace(/^.*? failed at \S+: /, '');
    return new UserError('TIPSTREAM_SQL', `sql/${statement.file}, statement ${statement.index} (${headline(statement)}): ${reason}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

function headline(statement: RenderedStatement): string {
  const words = statement.printable.replace(/\s+/g, ' ').trim().split(' ');
  return words.slice(0, words[0] === 'EXECUTE' ? 3 : 4).join(' ');
}
