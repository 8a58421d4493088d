// Public surface of the orchestrator: `tipstream deploy | status | stop`, the SQL Gateway and
// Flink REST clients, and the job's deployment record.
import type { Command } from 'commander';
import { action, configFor, type ConfigFlag } from '../common/cli.js';
import { UserError } from '../common/errors.js';
import { createProgress } from '../common/progress.js';
import { deployJob, readDeployment } from './deploy.js';
import { FlinkRestClient } from './flink-rest-client.js';
import { registerRelayCommands } from './relay-cli.js';
import { registerStartCommand } from './start.js';
import { upgradeJob } from './upgrade.js';
import { resumeJob } from './resume.js';
import { collectJobMetrics, jobMetricsGauges, serveMetrics } from './job-metrics.js';
import { Registry } from 'prom-client';
import { PortInUseError } from '../common/errors.js';

export { deployJob, ensureTopics, readDeployment, type Deployment, type DeployOptions } from './deploy.js';
export { FlinkRestClient, type JobDetails, type JobState } from './flink-rest-client.js';
export { ensureFunctionsJar, functionsJarPath } from './functions-jar.js';
export { jobValues, kafkaSecurityOptions, sessionProperties } from './job-values.js';
export { SqlGatewayClient, SqlGatewaySession, SqlStatementError } from './sql-gateway-client.js';
export { renderJob } from './sql-template.js';
export { ResultsTable, clientOptions, isRetriableWriteError, type WindowResult } from './cassandra-store.js';
export { forEachConcurrently, parseWindowResult, runRelay, withRetry, type RelayCounters, type RelayOptions } from './relay.js';
export { formatResults } from './relay-cli.js';
export { upgradeJob, type UpgradeOptions, type UpgradeResult } from './upgrade.js';
export { collectJobMetrics, jobMetricsGauges, serveMetrics, type JobMetrics } from './job-metrics.js';
export { latestCheckpoint, resumeJob } from './resume.js';
export { readLiveState, runLive, type LiveOptions, type LiveSummary, type LiveView } from './live.js';

const jobFlags: ConfigFlag[] = [
  { flag: 'window', path: 'job.windowSize' },
  { flag: 'watermark-delay', path: 'job.rideWatermarkDelay' },
  { flag: 'fare-watermark-delay', path: 'job.fareWatermarkDelay' },
  { flag: 'parallelism', path: 'job.parallelism' },
  { flag: 'checkpoint-interval', path: 'job.checkpointInterval' },
  { flag: 'consumer-group', path: 'job.consumerGroup' },
  { flag: 'startup-mode', path: 'job.startupMode' },
  { flag: 'udf-url', path: 'job.udfLookupUrl' },
  { flag: 'sql-gateway', path: 'flink.sqlGatewayUrl' },
  { flag: 'flink', path: 'flink.restUrl' },
  { flag: 'bootstrap-servers', path: 'kafka.bootstrapServers' },
];

export function registerOrchestratorCommands(program: Command): void {
  registerRelayCommands(program);
  registerStartCommand(program);
  program
    .command('deploy')
    .description('submit the Flink SQL job through the SQL Gateway, wait until it runs, record it')
    .option('--bounded', 'stop at the latest offsets: a finite replay finishes and flushes every window')
    .option('--window <size>', 'tumbling window size, e.g. "1 hour" (default) or "1 minute"')
    .option('--watermark-delay <delay>', 'ride watermark delay (default "3 minutes")')
    .option('--fare-watermark-delay <delay>', 'fare watermark delay (default "3 minutes")')
    .option('--parallelism <n>', 'job parallelism (default 2)')
    .option('--checkpoint-interval <interval>', 'checkpoint interval (default "10 s")')
    .option('--consumer-group <id>', 'Kafka consumer group of the job (default tipstream)')
    .option('--startup-mode <mode>', 'earliest-offset (default), latest-offset or group-offsets')
    .option('--udf-url <url>', 'the udf-service lookup URL Flink calls (default http://127.0.0.1:8090/lookup)')
    .option('--sql-gateway <url>', 'SQL Gateway REST address (default http://127.0.0.1:8083)')
    .option('--flink <url>', 'Flink REST address (default http://127.0.0.1:8081)')
    .option('--bootstrap-servers <list>', 'Kafka bootstrap servers (default 127.0.0.1:9092)')
    .option('--savepoint <path>', 'restore the job state from this savepoint')
    .option('--resume', 'the recorded job again, with its SQL and settings, from its latest completed checkpoint (after the cluster lost it, e.g. a JobManager that died)')
    .action(
      action(async (options: { bounded?: boolean; savepoint?: string; resume?: boolean }, command: Command) => {
        const config = configFor(command, jobFlags);
        if (options.resume && options.savepoint) throw new UserError('TIPSTREAM_USAGE', '--resume finds the checkpoint itself: give --resume or --savepoint, not both');
        const deployment = options.resume
          ? await resumeJob(config, createProgress())
          : await deployJob(config, { bounded: options.bounded ?? false, ...(options.savepoint ? { savepoint: options.savepoint } : {}) }, createProgress());
        process.stdout.write(`Job ${deployment.jobId} is running${deployment.restoredFrom ? `, restored from ${deployment.restoredFrom}` : ''}.\n  Flink UI  ${config.flink.restUrl}/#/job/running/${deployment.jobId}/overview\n`);
      }),
    );

  program
    .command('status')
    .description('the deployed job: state, uptime, checkpoints, malformed, joined and late counts, window watermark and its lag, restarts and the latest failure, records in and out per operator chain')
    .option('--flink <url>', 'Flink REST address (default http://127.0.0.1:8081)')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }, command: Command) => {
        const config = configFor(command, jobFlags);
        const deployment = await readDeployment(config);
        if (!deployment) throw new UserError('TIPSTREAM_NOT_FOUND', 'no job has been deployed from here yet (run `tipstream deploy`)');
        const flink = new FlinkRestClient(config.flink.restUrl);
        const [job, checkpoints, metrics] = await Promise.all([
          flink.job(deployment.jobId),
          flink.checkpoints(deployment.jobId).catch(() => undefined),
          collectJobMetrics(flink, deployment.jobId),
        ]);
        const summary = {
          jobId: job.jid,
          state: job.state,
          uptimeSeconds: Math.round(job.duration / 1000),
          checkpointsCompleted: checkpoints?.counts.completed ?? 0,
          checkpointsFailed: checkpoints?.counts.failed ?? 0,
          lastCheckpointAt: checkpoints?.latest?.completed ? new Date(checkpoints.latest.completed.latest_ack_timestamp).toISOString() : null,
          malformedRides: metrics.malformedRides,
          malformedFares: metrics.malformedFares,
          tripsJoined: metrics.tripsJoined,
          lateRecordsDropped: metrics.lateRecordsDropped,
          windowWatermark: metrics.windowWatermark,
          watermarkLagSeconds: metrics.watermarkLagSeconds,
          restarts: metrics.restarts,
          lastFailure: metrics.lastFailure,
          vertices: job.vertices.map((v) => ({ name: v.name, recordsIn: v.metrics['read-records'], recordsOut: v.metrics['write-records'] })),
        };
        if (options.json) {
          process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          [
            `job ${summary.jobId}: ${summary.state}, up ${summary.uptimeSeconds} s`,
            `checkpoints: ${summary.checkpointsCompleted} completed, ${summary.checkpointsFailed} failed, last ${summary.lastCheckpointAt ?? 'never'}`,
            `malformed: ${summary.malformedRides ?? 'unknown'} rides, ${summary.malformedFares ?? 'unknown'} fares; trips joined: ${summary.tripsJoined ?? 'unknown'}; late records dropped: ${summary.lateRecordsDropped ?? 'unknown'}`,
            `windows closed up to: ${summary.windowWatermark ?? 'unknown'}${summary.watermarkLagSeconds === null ? '' : ` (watermark lag ${summary.watermarkLagSeconds} s)`}`,
            ...(summary.lastFailure ? [`restarts: ${summary.restarts ?? '-'}; last failure at ${summary.lastFailure.at}: ${summary.lastFailure.summary}`] : []),
            ...summary.vertices.map((v) => `  in ${String(v.recordsIn).padStart(9)}  out ${String(v.recordsOut).padStart(9)}  ${v.name.slice(0, 100)}`),
            '',
          ].join('\n'),
        );
      }),
    );

  program
    .command('stop')
    .description('stop the deployed job; with --savepoint, take a savepoint first and print its path')
    .option('--savepoint [dir]', 'stop with a savepoint (into dir, or the cluster default)')
    .option('--flink <url>', 'Flink REST address (default http://127.0.0.1:8081)')
    .action(
      action(async (options: { savepoint?: string | boolean }, command: Command) => {
        const config = configFor(command, jobFlags);
        const deployment = await readDeployment(config);
        if (!deployment) throw new UserError('TIPSTREAM_NOT_FOUND', 'no job has been deployed from here yet');
        const flink = new FlinkRestClient(config.flink.restUrl);
        if (options.savepoint) {
          const location = await flink.stopWithSavepoint(deployment.jobId, typeof options.savepoint === 'string' ? options.savepoint : undefined);
          process.stdout.write(`Job ${deployment.jobId} stopped with savepoint ${location}\n`);
        } else {
          await flink.cancel(deployment.jobId);
          await flink.waitForState(deployment.jobId, ['CANCELED'], 60_000);
          process.stdout.write(`Job ${deployment.jobId} cancelled.\n`);
        }
      }),
    );

  program
    .command('upgrade')
    .description('stop the running job with a savepoint and start the current SQL and settings from it (refused, with the old job restored, when the state does not fit)')
    .option('--savepoint-dir <dir>', 'where the savepoint goes (default: the cluster setting)')
    .option('--window <size>', 'tumbling window size of the new job')
    .option('--parallelism <n>', 'parallelism of the new job')
    .option('--checkpoint-interval <interval>', 'checkpoint interval of the new job')
    .option('--udf-url <url>', 'the udf-service lookup URL of the new job')
    .option('--sql-gateway <url>', 'SQL Gateway REST address (default http://127.0.0.1:8083)')
    .option('--flink <url>', 'Flink REST address (default http://127.0.0.1:8081)')
    .action(
      action(async (options: { savepointDir?: string }, command: Command) => {
        const config = configFor(command, jobFlags);
        const result = await upgradeJob(config, options.savepointDir ? { savepointDir: options.savepointDir } : {}, createProgress());
        process.stdout.write(
          `Job ${result.previous.jobId} stopped with savepoint ${result.savepoint}; job ${result.deployment.jobId} runs from it.\n` +
            `  Flink UI  ${config.flink.restUrl}/#/job/running/${result.deployment.jobId}/overview\n`,
        );
      }),
    );

  program
    .command('metrics')
    .description('malformed rides and fares, records read, trips joined, late drops, checkpoints and window watermark of the deployed job')
    .option('--flink <url>', 'Flink REST address (default http://127.0.0.1:8081)')
    .option('--job <id>', 'this job instead of the one recorded by `tipstream deploy`')
    .option('--json', 'print JSON')
    .option('--serve', 'keep polling and serve Prometheus text on the metrics port (until Ctrl-C)')
    .option('--port <port>', 'metrics port for --serve (default 9464)')
    .option('--interval <seconds>', 'poll interval for --serve (default 5)', '5')
    .action(
      action(async (options: { job?: string; json?: boolean; serve?: boolean; interval: string }, command: Command) => {
        const config = configFor(command, [...jobFlags, { flag: 'port', path: 'metrics.port' }]);
        const jobId = options.job ?? (await readDeployment(config))?.jobId;
        if (!jobId) throw new UserError('TIPSTREAM_NOT_FOUND', 'no job has been deployed from here yet (run `tipstream deploy`, or pass --job ID)');
        const flink = new FlinkRestClient(config.flink.restUrl);
        if (!options.serve) {
          const m = await collectJobMetrics(flink, jobId);
          process.stdout.write(options.json ? `${JSON.stringify(m, null, 2)}\n` : `${Object.entries(m).map(([k, v]) => `${k.padEnd(26)} ${v ?? '-'}`).join('\n')}\n`);
          return;
        }
        const intervalMs = Number(options.interval) * 1000;
        if (!Number.isFinite(intervalMs) || intervalMs < 1000) throw new UserError('TIPSTREAM_USAGE', `--interval must be a number of seconds, at least 1, got '${options.interval}'`);
        const registry = new Registry();
        const gauges = jobMetricsGauges(registry);
        const server = await serveMetrics(registry, config.host, config.metrics.port).catch((err: unknown) => {
          if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError('the metrics endpoint', config.host, config.metrics.port);
          throw err;
        });
        process.stderr.write(`serving metrics of job ${jobId} at http://${config.host}:${config.metrics.port}/metrics (Ctrl-C stops)\n`);
        const poll = () => collectJobMetrics(flink, jobId).then(gauges.update, () => gauges.down());
        await poll();
        const timer = setInterval(() => void poll(), intervalMs);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        clearInterval(timer);
        await new Promise((resolve) => server.close(resolve));
      }),
    );
}
