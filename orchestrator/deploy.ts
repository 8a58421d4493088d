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
import { ensureTopics, FlinkRestClient, SqlGatewayClient, SqlStatementError } from '../clients/index.js';
import { ensureFunctionsJar } from './functions-jar.js';
import { jobValues, sessionProperties, type JobOptions } from './job-values.js';
import { renderJob, sqlDir as defaultSqlDir, type RenderedStatement } from './sql-template.js';

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
  const statements = await renderJob(jobValues(config, { ...options, topics }, await ensureFunctionsJar(config, progress, options.functionsSourceDir)), sqlDir);
  const idleMs = parseDurationMs(config.job.idleTimeout, 'job.idleTimeout');
  if (!options.bounded && idleMs < MIN_SAFE_IDLE_MS) {
    // Seen on a cold stack with 2 s: one source was idle while still starting, the other's watermark
    // ran ahead, and the interval join dropped most of the late starter's trips without a count.
    log.warn({ idleTimeout: config.job.idleTimeout }, `job.idleTimeout ${config.job.idleTimeout} is short: a source that takes longer to start (or stalls) is treated as idle, the other stream's watermark runs ahead and the join drops its trips; ${MIN_SAFE_IDLE_MS / 1000} s or more is safer`);
  }

  const created = await ensureTopics(config, Object.values(topics));
  if (created.length > 0) progress.step(`created topics ${created.join(', ')} (${config.kafka.partitions} partitions)`);

  const properties = sessionProperties(config, jobName);
  if (options.savepoint) properties['execution.state-recovery.path'] = options.savepoint;
  const gateway = new SqlGatewayClient(config.flink.sqlGatewayUrl);
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

  const flink = new FlinkRestClient(config.flink.restUrl);
  await flink.waitForState(jobId, options.bounded ? ['RUNNING', 'FINISHED'] : ['RUNNING'], options.timeoutMs ?? 120_000);
  const deployment: Deployment = {
    jobId,
    jobName,
    sqlHash: createHash('sha256').update(statements.map((s) => s.sql).join('\n;\n')).digest('hex'),
    deployedAt: new Date().toISOString(),
    bounded: options.bounded,
    topics,
    ...(options.savepoint ? { restoredFrom: options.savepoint } : {}),
    job: config.job,
    sqlCopy: await keepSqlCopy(config, jobId, sqlDir),
  };
  await writeDeployment(config, deployment);
  return deployment;
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
