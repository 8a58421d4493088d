// `tipstream deploy | status | stop | upgrade | metrics`: the Flink job and its metrics.
import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { FlinkRestClient } from '../clients/index.js';
import { PortInUseError, UserError } from '../common/errors.js';
import { createProgress } from '../common/progress.js';
import { collectJobMetrics, deployJob, jobMetricsGauges, readDeployment, rescaleJob, resumeJob, serveMetrics, upgradeJob } from '../orchestrator/index.js';
import { action, configFor, untilStopped, withConfigFlags } from './flags.js';
import { flinkRestOptions } from '../common/client-options.js';

export function registerOrchestratorCommands(program: Command): void {
  withConfigFlags(program.command('deploy'), ['job.windowSize', 'job.rideWatermarkDelay', 'job.fareWatermarkDelay', 'job.maxAheadOfClock', 'job.maxJump', 'job.earliestEventTime', 'job.parallelism', 'job.maxParallelism', 'job.checkpointInterval', 'job.consumerGroup', 'job.startupMode', 'job.udfLookupUrl', 'flink.sqlGatewayUrl', 'flink.restUrl', 'kafka.bootstrapServers'])
    .description('submit the Flink SQL job through the SQL Gateway, wait until it runs, record it')
    .option('--bounded', 'stop at the latest offsets: a finite replay finishes and flushes every window')
    .option('--savepoint <path>', 'restore the job state from this savepoint')
    .option('--resume', 'the recorded job again, with its SQL and settings, from its latest completed checkpoint (after the cluster lost it, e.g. a JobManager that died)')
    .action(
      action(async (options: { bounded?: boolean; savepoint?: string; resume?: boolean }, command: Command) => {
        const config = configFor(command);
        if (options.resume && options.savepoint) throw new UserError('TIPSTREAM_USAGE', '--resume finds the checkpoint itself: give --resume or --savepoint, not both');
        const deployment = options.resume
          ? await resumeJob(config, createProgress())
          : await deployJob(config, { bounded: options.bounded ?? false, ...(options.savepoint ? { savepoint: options.savepoint } : {}) }, createProgress());
        process.stdout.write(`Job ${deployment.jobId} is running${deployment.restoredFrom ? `, restored from ${deployment.restoredFrom}` : ''}.\n  Flink UI  ${config.flink.restUrl}/#/job/running/${deployment.jobId}/overview\n`);
      }),
    );

  withConfigFlags(program.command('status'), ['flink.restUrl'])
    .description('the deployed job: state, uptime, checkpoints, malformed, joined and late counts, window watermark and its lag, restarts and the latest failure, records in and out per operator chain')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }, command: Command) => {
        const config = configFor(command);
        const deployment = await readDeployment(config);
        if (!deployment) throw new UserError('TIPSTREAM_NOT_FOUND', 'no job has been deployed from here yet (run `tipstream deploy`)');
        const flink = new FlinkRestClient(flinkRestOptions(config));
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
          implausibleRides: metrics.implausibleRides,
          implausibleFares: metrics.implausibleFares,
          tripsJoined: metrics.tripsJoined,
          unjoinedRides: metrics.unjoinedRides,
          unjoinedFares: metrics.unjoinedFares,
          lateTrips: metrics.lateTrips,
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
            `malformed: ${summary.malformedRides ?? 'unknown'} rides, ${summary.malformedFares ?? 'unknown'} fares; implausible event time: ${summary.implausibleRides ?? 'unknown'} rides, ${summary.implausibleFares ?? 'unknown'} fares; trips joined: ${summary.tripsJoined ?? 'unknown'}`,
            `dead-lettered unjoined: ${summary.unjoinedRides ?? 'unknown'} rides, ${summary.unjoinedFares ?? 'unknown'} fares; late for window: ${summary.lateTrips ?? 'unknown'}; dropped by the window: ${summary.lateRecordsDropped ?? 'unknown'}`,
            `windows closed up to: ${summary.windowWatermark ?? 'unknown'}${summary.watermarkLagSeconds === null ? '' : ` (watermark lag ${summary.watermarkLagSeconds} s)`}`,
            ...(summary.lastFailure ? [`restarts: ${summary.restarts ?? '-'}; last failure at ${summary.lastFailure.at}: ${summary.lastFailure.summary}`] : []),
            ...summary.vertices.map((v) => `  in ${String(v.recordsIn).padStart(9)}  out ${String(v.recordsOut).padStart(9)}  ${v.name.slice(0, 100)}`),
            '',
          ].join('\n'),
        );
      }),
    );

  withConfigFlags(program.command('stop'), ['flink.restUrl'])
    .description('stop the deployed job; with --savepoint, take a savepoint first and print its path')
    .option('--savepoint [dir]', 'stop with a savepoint (into dir, or the cluster default)')
    .action(
      action(async (options: { savepoint?: string | boolean }, command: Command) => {
        const config = configFor(command);
        const deployment = await readDeployment(config);
        if (!deployment) throw new UserError('TIPSTREAM_NOT_FOUND', 'no job has been deployed from here yet');
        const flink = new FlinkRestClient(flinkRestOptions(config));
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

  withConfigFlags(program.command('upgrade'), ['job.windowSize', 'job.maxAheadOfClock', 'job.maxJump', 'job.earliestEventTime', 'job.parallelism', 'job.checkpointInterval', 'job.udfLookupUrl', 'flink.sqlGatewayUrl', 'flink.restUrl'], {
    'job.windowSize': { help: 'tumbling window size of the new job' },
    'job.parallelism': { help: 'parallelism of the new job' },
    'job.checkpointInterval': { help: 'checkpoint interval of the new job' },
    'job.udfLookupUrl': { help: 'the udf-service lookup URL of the new job' },
  })
    .description('stop the running job with a savepoint and start the current SQL and settings from it (refused, with the old job restored, when the state does not fit)')
    .option('--savepoint-dir <dir>', 'where the savepoint goes (default: the cluster setting)')
    .action(
      action(async (options: { savepointDir?: string }, command: Command) => {
        const config = configFor(command);
        const result = await upgradeJob(config, options.savepointDir ? { savepointDir: options.savepointDir } : {}, createProgress());
        process.stdout.write(
          `Job ${result.previous.jobId} stopped with savepoint ${result.savepoint}; job ${result.deployment.jobId} runs from it.\n` +
            `  Flink UI  ${config.flink.restUrl}/#/job/running/${result.deployment.jobId}/overview\n`,
        );
      }),
    );

  withConfigFlags(program.command('rescale'), ['flink.sqlGatewayUrl', 'flink.restUrl'])
    .description('stop the running job with a savepoint and start it again from it at another parallelism, same SQL and settings; the change is kept in the deployment record (a live run follows the new job)')
    .requiredOption('--parallelism <n>', 'the new parallelism: 1 up to the free slots plus the job\'s own, at most its max parallelism')
    .option('--savepoint-dir <dir>', 'where the savepoint goes (default: the cluster setting)')
    .option('--timeout <seconds>', 'how long to wait for every task to run at the new parallelism', '120')
    .action(
      action(async (options: { parallelism: string; savepointDir?: string; timeout: string }, command: Command) => {
        const parallelism = Number(options.parallelism);
        if (!Number.isInteger(parallelism) || parallelism < 1) throw new UserError('TIPSTREAM_USAGE', `--parallelism must be a whole number, 1 or more, got '${options.parallelism}'`);
        const timeoutSeconds = Number(options.timeout);
        if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UserError('TIPSTREAM_USAGE', `--timeout must be a number of seconds, got '${options.timeout}'`);
        const config = configFor(command);
        const result = await rescaleJob(config, { parallelism, timeoutMs: timeoutSeconds * 1000, ...(options.savepointDir ? { savepointDir: options.savepointDir } : {}) }, createProgress());
        process.stdout.write(
          `Job ${result.previous.jobId} (parallelism ${result.previous.job?.parallelism}) stopped with savepoint ${result.savepoint}; job ${result.deployment.jobId} runs from it at parallelism ${parallelism}.\n` +
            `  Flink UI  ${config.flink.restUrl}/#/job/running/${result.deployment.jobId}/overview\n`,
        );
      }),
    );

  withConfigFlags(program.command('metrics'), ['flink.restUrl', 'metrics.port'])
    .description('malformed rides and fares, records read, trips joined, late drops, checkpoints and window watermark of the deployed job')
    .option('--job <id>', 'this job instead of the one recorded by `tipstream deploy`')
    .option('--json', 'print JSON')
    .option('--serve', 'keep polling and serve Prometheus text on the metrics port (until Ctrl-C)')
    .option('--interval <seconds>', 'poll interval for --serve (default 5)', '5')
    .action(
      action(async (options: { job?: string; json?: boolean; serve?: boolean; interval: string }, command: Command) => {
        const config = configFor(command);
        const jobId = options.job ?? (await readDeployment(config))?.jobId;
        if (!jobId) throw new UserError('TIPSTREAM_NOT_FOUND', 'no job has been deployed from here yet (run `tipstream deploy`, or pass --job ID)');
        const flink = new FlinkRestClient(flinkRestOptions(config));
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
        await untilStopped();
        clearInterval(timer);
        await new Promise((resolve) => server.close(resolve));
      }),
    );
}
