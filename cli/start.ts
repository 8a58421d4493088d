// `tipstream start` (`npm start`): the whole pipeline on real sample data. Stack up (downloads
// once), udf-service, replay, bounded deploy, relay into Cassandra, then the results per
// neighborhood and the malformed counts. The services stay up for exploring until
// `tipstream stack down`.
import axios from 'axios';
import type { Command } from 'commander';
import { ensureTopics, FlinkRestClient, recreateTopics, type WindowResult } from '../clients/index.js';
import { flinkRestOptions, kafkaEndpoint, kafkaTopicOptions } from '../common/client-options.js';
import { openResultReader } from '../orchestrator/index.js';
import { describeSetting, requireExistingPath, type ResolvedConfig } from '../common/config.js';
import { InfrastructureError, UserError } from '../common/errors.js';
import { createProgress, type Progress } from '../common/progress.js';
import { pollUntil } from '../common/retry.js';
import { readFile } from 'node:fs/promises';
import { inputPath, KafkaTransport, loadLibrdkafka, replay, type InputFormat } from '../generator/index.js';
import { collectJobMetrics, deployJob, ensureFunctionsJar, runRelay } from '../orchestrator/index.js';
import { createStackProvider, forgetApp, isRunning, runningApp, startApp } from '../stack/index.js';
import { action, configFor, withConfigFlags } from './flags.js';
import { rankNeighborhoods } from './results-order.js';
import { rankingHeader } from './live-ranking.js';
import { runLive, type LiveView } from './live/index.js';

/**
 * What `start` does unless told otherwise (a flag, the environment or the config file): 1-minute
 * windows, so the sample's hours make a table; component logs only for warnings, as the steps
 * below tell the story.
 */
const startDefaults = { job: { windowSize: '1 minute' }, logLevel: 'warn' };
/**
 * Live mode's: checkpoints every second, so that exactly-once results are readable within about
 * a second of their window closing (bench:pipeline's live latency; 10 s, the general default, made
 * it about 6 s). A configured job.checkpointInterval still wins.
 */
export const liveDefaults = { job: { windowSize: '1 minute', checkpointInterval: '1 s' }, logLevel: 'warn' };

interface StartOptions {
  live?: boolean;
  speedup: string;
  format: InputFormat;
  input?: string;
  malformedRate: string;
  top: string;
  minRides: string;
  keepTopics?: boolean;
  /** `--no-dashboard` makes it false. */
  dashboard: boolean;
}

async function ensureUdfService(config: ResolvedConfig, progress: Progress): Promise<void> {
  const ready = () => axios.get(`http://${config.host}:${config.udf.port}/readyz`, { timeout: 2000 }).then((r) => r.status === 200, () => false);
  if (await ready()) {
    progress.step(`udf-service already answers on port ${config.udf.port}`);
    return;
  }
  progress.step(`starting the udf-service on port ${config.udf.port} (${config.udf.boundaries})`);
  const args = ['udf', 'serve', '--boundaries', config.udf.boundaries, '--name-field', config.udf.nameField, '--port', String(config.udf.port), '--host', config.udf.bindAddress];
  if (config.udf.where) args.push('--where', config.udf.where);
  const app = await startApp(config, 'udf-service', args);
  try {
    await pollUntil('the udf-service', ready, { timeoutMs: 60_000, intervalMs: 300, alive: () => isRunning(app) });
  } catch (err) {
    // The service's own last line says why (a bad shapefile, a busy port), not just that it exited.
    const reason = await lastErrorLine(app.logFile);
    // Forgotten, so that the stack's supervisor does not start it again and again with the same bad arguments.
    await forgetApp(config, 'udf-service');
    throw new InfrastructureError('TIPSTREAM_START', `the udf-service did not start${reason ? `: ${reason}` : ''} (log: ${app.logFile})`, { cause: reason ? undefined : err });
  }
}

/** The last line a tipstream process printed as its error (`tipstream: ...`), or its last line. */
export async function lastErrorLine(logFile: string): Promise<string | undefined> {
  const lines = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').map((line) => line.trim()).filter(Boolean);
  const error = [...lines].reverse().find((line) => line.startsWith('tipstream: '));
  return error?.slice('tipstream: '.length) ?? lines.at(-1);
}

/**
 * The live map beside live mode; a dashboard that cannot start (a busy port) is reported, not
 * fatal. Loaded only here: the server's plugins are ES modules that jest's VM modules cannot
 * require, and the tests import this file.
 */
async function startLiveDashboard(config: ResolvedConfig): Promise<{ url: string; close(): Promise<void> } | undefined> {
  try {
    const { startDashboard } = await import('./dashboard/index.js');
    return await startDashboard({ config });
  } catch (err) {
    process.stderr.write(`dashboard not started (${(err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${config.dashboard.port} is in use; choose another with TIPSTREAM_DASHBOARD_PORT` : (err as Error).message}); live mode goes on without it\n`);
    return undefined;
  }
}

/** `start --live`: the live run, its view refreshed in place on a terminal (a line per window when piped), until Ctrl-C. */
async function runLiveInTerminal(config: ResolvedConfig, options: { speedup: number; malformedRate: number; top: number; dashboard: boolean }): Promise<void> {
  const dashboard = options.dashboard ? await startLiveDashboard(config) : undefined;
  if (dashboard) process.stdout.write(`    dashboard: ${dashboard.url}/ (the live map; --no-dashboard skips it)\n`);
  const abort = new AbortController();
  const stop = () => {
    if (!abort.signal.aborted) process.stderr.write('\nstopping: generator, then the job with a savepoint, then the relay (Ctrl-C again does not hurry it)\n');
    abort.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const tty = Boolean(process.stdout.isTTY);
  const update = tty ? (await import('log-update')).default : undefined;
  let printedWindow: string | undefined;
  try {
    const summary = await runLive(config, {
      speedup: options.speedup,
      malformedRate: options.malformedRate,
      signal: abort.signal,
      onView: (view) => {
        if (update) return update(renderLiveView(view, options.top));
        // Piped: one line per new window.
        if (view.latestWindow && view.latestWindow.windowEnd !== printedWindow) {
          printedWindow = view.latestWindow.windowEnd;
          const best = view.ranking?.ranked[0];
          process.stdout.write(`window ending ${view.latestWindow.windowEnd}: ${view.latestWindow.rows.length} neighborhoods${best ? `; best tip per mile over the last ${view.ranking?.windows} windows (≥ ${view.ranking?.minRides} rides) ${best.neighborhood} ${best.tipPerMile?.toFixed(2)}` : ''}; ${Math.round(view.eventsPerSecond)} events/s; malformed rides ${view.metrics?.malformedRides ?? 'unknown'}, fares ${view.metrics?.malformedFares ?? 'unknown'}; watermark lag ${view.watermarkLagSeconds ?? 'unknown'} s\n`);
        }
      },
    });
    update?.done();
    process.stdout.write(
      [
        '',
        `Stopped. ${summary.generator.sent.rides} rides and ${summary.generator.sent.fares} fares sent; ${summary.relay.written} window rows written to Cassandra.`,
        `Savepoint ${summary.savepoint}; \`tipstream start --live\` resumes from it (event time goes on from ${new Date(summary.clock).toISOString()}).`,
        '',
      ].join('\n'),
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await dashboard?.close();
    // The run is over: a client library still holding a socket (seen once, a Cassandra session
    // opened during an outage) must not keep the finished command alive. Unref'd: it only fires
    // if something else still holds the process.
    setTimeout(() => {
      process.stderr.write('tipstream: live mode stopped; a client connection was still open, exiting anyway\n');
      process.exit();
    }, 5_000).unref();
  }
}

/** The live view as lines: the clock, the flow, the health, and the best neighborhoods over the rolling span. */
export function renderLiveView(view: LiveView, top: number): string {
  const m = view.metrics;
  const lines = [
    `tipstream live   event time ${new Date(view.clock).toISOString().slice(0, 19)}Z   job ${view.jobId}${view.resumedFrom ? ' (resumed)' : ''}${view.recoveries ? `, recovered ${view.recoveries}x from checkpoints` : ''}   Ctrl-C stops`,
    `in: ${Math.round(view.eventsPerSecond).toLocaleString('en-US')} events/s (${view.eventsSent.toLocaleString('en-US')} sent)   windows closed up to ${m?.windowWatermark ?? 'unknown'} (lag ${view.watermarkLagSeconds ?? 'unknown'} s of event time)`,
    `malformed: rides ${m?.malformedRides ?? 'unknown'}, fares ${m?.malformedFares ?? 'unknown'}${m?.implausibleRides || m?.implausibleFares ? `   implausible time: rides ${m.implausibleRides ?? 'unknown'}, fares ${m.implausibleFares ?? 'unknown'}` : ''}   trips joined ${m?.tripsJoined ?? 'unknown'}   job ${m?.state ?? 'unknown'}${m?.restarts ? `, ${m.restarts} restarts` : ''}   rows written ${view.rowsWritten}`,
    '',
  ];
  if (!view.ranking) {
    lines.push('waiting for the first window to close...');
  } else {
    const rows = view.ranking.ranked.slice(0, top);
    lines.push(rankingHeader(view.ranking, rows.length));
    lines.push(`  ${'neighborhood'.padEnd(30)} ${'rides'.padStart(6)} ${'avg fare'.padStart(8)} ${'avg tip'.padStart(8)} ${'tip/mile'.padStart(8)}`);
    for (const r of rows) {
      lines.push(`  ${r.neighborhood.slice(0, 30).padEnd(30)} ${String(r.rides).padStart(6)} ${r.averageFare.toFixed(2).padStart(8)} ${r.averageTip.toFixed(2).padStart(8)} ${(r.tipPerMile === null ? '-' : r.tipPerMile.toFixed(2)).padStart(8)}`);
    }
    if (rows.length === 0) lines.push(`  (no neighborhood has ${view.ranking.minRides} rides yet)`);
  }
  return lines.join('\n');
}

export function registerStartCommand(program: Command): void {
  withConfigFlags(program.command('start'), ['dashboard.liveSpan', 'job.windowSize', 'job.maxAheadOfClock', 'job.maxJump', 'job.earliestEventTime', 'udf.boundaries', 'udf.nameField', 'udf.where'], {
    'job.windowSize': { help: 'tumbling window', default: '"1 minute" here' },
    'udf.boundaries': { help: 'neighborhood boundaries', default: 'the Zillow shapefile' },
  })
    .description('run the whole pipeline on real sample data and print the results (what `npm start` does)')
    .option('--format <format>', 'input format: debs (default), foil or synthetic', 'debs')
    .option('--input <path>', 'trip file(s) (default: the sample of --format in data/)')
    .option('--malformed-rate <p>', 'share of malformed events injected, to show the dead-letter path', '0.01')
    .option('--top <n>', 'neighborhoods to print', '15')
    .option('--min-rides <n>', 'rank only neighborhoods with at least this many rides', '10')
    .option('--keep-topics', 'do not delete and re-create the local topics first')
    .option('--live', 'run unbounded until Ctrl-C: real trips with their times moved to a clock starting now, the latest window shown as it closes; Ctrl-C takes a savepoint and the next --live run resumes from it')
    .option('--speedup <factor>', 'live: event time runs this many times faster than the wall clock', '60')
    .option('--no-dashboard', 'live: do not serve the live map (`tipstream dashboard`) beside it')
    .action(
      action(async (options: StartOptions, command: Command) => {
        const config = configFor(command, { commandDefaults: options.live ? liveDefaults : startDefaults });
        const malformedRate = Number(options.malformedRate);
        if (!(malformedRate >= 0 && malformedRate < 1)) throw new UserError('TIPSTREAM_USAGE', `--malformed-rate must be a number from 0 to below 1, got '${options.malformedRate}'`);
        const top = Number(options.top);
        if (!Number.isInteger(top) || top < 1) throw new UserError('TIPSTREAM_USAGE', `--top must be a positive integer, got '${options.top}'`);
        const minRides = Number(options.minRides);
        if (!Number.isInteger(minRides) || minRides < 1) throw new UserError('TIPSTREAM_USAGE', `--min-rides must be a positive integer, got '${options.minRides}'`);
        if (!['debs', 'foil', 'synthetic'].includes(options.format)) throw new UserError('TIPSTREAM_USAGE', `--format must be debs, foil or synthetic, got '${options.format}'`);
        const speedup = Number(options.speedup);
        if (!(speedup >= 1 && speedup <= 10_000)) throw new UserError('TIPSTREAM_USAGE', `--speedup must be a number from 1 to 10000, got '${options.speedup}'`);
        // Missing files fail here, in one line, before anything is started.
        const input = inputPath(options.live ? 'synthetic' : options.format, options.live ? undefined : options.input);
        requireExistingPath(config.udf.boundaries, describeSetting(config, 'udf.boundaries'));
        const progress = createProgress();
        const say = (line: string) => process.stdout.write(`${line}\n`);
        // An error names the step it ended, e.g. "step 2/6 udf-service (neighborhood lookup): ...".
        let currentStep = '';
        const steps = options.live ? 3 : 6;
        const step = (line: string) => {
          currentStep = line;
          say(line);
        };
        try {
          const stackKind = { local: 'local stack', testcontainers: 'the stack in containers', external: 'the stack at the configured addresses' }[config.stack.provider];
          step(`1/${steps} ${stackKind} (Kafka, Flink with its SQL Gateway, Cassandra)`);
          const stack = await (await createStackProvider(config, progress, { buildFunctionsJar: (p) => ensureFunctionsJar(config, p) })).up();
          say(stack.alreadyUp ? '    already up' : `    up (artifacts ${stack.resolveSeconds.toFixed(0)} s)`);

          step(`2/${steps} udf-service (neighborhood lookup)`);
          await ensureUdfService(config, progress);

          if (options.live) {
            step(`3/3 live: trips at ${speedup}x the wall clock into ${config.kafka.rideTopic} and ${config.kafka.fareTopic}, the job unbounded (${config.job.windowSize} windows), the relay into Cassandra; Ctrl-C stops`);
            // The terminal and the dashboard beside it rank by the same minimum: --min-rides when given, else dashboard.minRides (10, as here).
            const liveConfig = command.getOptionValueSource('minRides') === 'cli' ? { ...config, dashboard: { ...config.dashboard, minRides } } : config;
            await runLiveInTerminal(liveConfig, { speedup, malformedRate, top, dashboard: options.dashboard });
            return;
          }

          const k = config.kafka;
          const topics = [k.rideTopic, k.fareTopic, k.deadLetterTopic, k.statsTopic];
          step(`3/6 replaying ${options.format} trips into ${k.rideTopic} and ${k.fareTopic}`);
          if (k.connectionString === undefined && !options.keepTopics) await recreateTopics(kafkaTopicOptions(config), topics);
          else await ensureTopics(kafkaTopicOptions(config), topics);
          const transport = new KafkaTransport({ ...kafkaEndpoint(config), rideTopic: k.rideTopic, fareTopic: k.fareTopic, client: k.client });
          const summary = await replay(
            {
              source: { format: options.format, input, faresLeadMs: 0, bufferCapacity: 200_000, ...(options.format === 'synthetic' ? { trips: 100_000 } : {}) },
              faults: { malformedRate, lateRate: 0, duplicateRate: 0, seed: 2013 },
              pacing: { kind: 'fast' },
              batchSize: 1000,
              rideTopic: k.rideTopic,
              fareTopic: k.fareTopic,
            },
            transport,
            progress,
          ).finally(() => transport.close());
          say(`    ${summary.sent.rides} rides and ${summary.sent.fares} fares sent (${summary.injected.malformedRides} malformed rides and ${summary.injected.malformedFares} malformed fares among them)`);
          if (transport.client === 'javascript' && k.client === 'auto') say(`    (with the JavaScript Kafka client: ${loadLibrdkafka().problem ?? 'this librdkafka build cannot make the connection'}; see the README)`);

          step(`4/6 Flink job (bounded, ${config.job.windowSize} windows) through the SQL Gateway`);
          const deployment = await deployJob({ ...config, job: { ...config.job, consumerGroup: `tipstream-start-${Date.now()}` } }, { bounded: true, jobName: 'tipstream start' }, progress);
          const flink = new FlinkRestClient(flinkRestOptions(config));
          const finished = await flink.waitForState(deployment.jobId, ['FINISHED', 'FAILED', 'CANCELED'], 600_000);
          if (finished.state !== 'FINISHED') {
            throw new InfrastructureError('TIPSTREAM_START', `the job ended ${finished.state}: ${(await flink.rootException(deployment.jobId)) ?? 'no exception recorded'}`);
          }
          const metrics = await collectJobMetrics(flink, deployment.jobId);
          say(`    job ${deployment.jobId} finished: ${metrics.ridesRead ?? 'unknown'} rides and ${metrics.faresRead ?? 'unknown'} fares read`);

          step(`5/6 relay into ${config.cassandra.keyspace}.neighborhoodstats`);
          const written = new Map<string, WindowResult>();
          const counters = await runRelay(config, {
            consumerGroup: `tipstream-relay-start-${deployment.jobId}`,
            stopWhenIdleMs: 5_000,
            onRows: (rows) => rows.forEach((r) => written.set(`${r.neighborhood}|${Date.parse(r.windowEnd)}`, r)),
          });
          say(`    ${counters.written} rows written${counters.retries ? ` (${counters.retries} retries)` : ''}`);

          step('6/6 results, read back from Cassandra');
          const reader = await openResultReader(config);
          const rows = await reader.read().finally(() => reader.close());
          const thisRun = rows.filter((r) => written.has(`${r.neighborhood}|${Date.parse(r.windowEnd)}`));
          const totals = rankNeighborhoods(thisRun, minRides);
          const money = (n: number) => n.toFixed(2).padStart(8);
          say('');
          say(`Top ${Math.min(top, totals.length)} pickup neighborhoods by average tip per mile (at least ${minRides} rides; over all ${config.job.windowSize} windows of this run):`);
          say(`  ${'neighborhood'.padEnd(30)} ${'rides'.padStart(6)} ${'avg fare'.padStart(8)} ${'avg tip'.padStart(8)} ${'tip/mile'.padStart(8)}`);
          for (const t of totals.slice(0, top)) {
            say(`  ${t.neighborhood.slice(0, 30).padEnd(30)} ${String(t.rides).padStart(6)} ${money(t.averageFare)} ${money(t.averageTip)} ${t.tipPerMile === null ? '       -' : money(t.tipPerMile)}`);
          }
          say('');
          say(`Malformed records (Flink's dead-letter counts / injected by the generator): rides ${metrics.malformedRides ?? 'unknown'} / ${summary.injected.malformedRides}, fares ${metrics.malformedFares ?? 'unknown'} / ${summary.injected.malformedFares}; they are in the topic ${k.deadLetterTopic}.`);
          say('');
          say(`Flink UI        ${config.flink.restUrl}/#/job/completed/${deployment.jobId}/overview`);
          say(`Flink metrics   Prometheus text on http://${config.host}:${config.stack.ports.flinkPrometheusFirst}/metrics and the next ports up to ${config.stack.ports.flinkPrometheusFirst + 10} (one per Flink process)`);
          say(`Job metrics     tipstream metrics   (or --serve for Prometheus text on port ${config.metrics.port})`);
          say('Results         tipstream results --limit 20');
          const udf = await runningApp(config, 'udf-service');
          say(`Stop all        tipstream stack down   (stops the stack${udf ? ' and the udf-service' : ''})`);
        } catch (err) {
          if (err instanceof Error && currentStep) err.message = `step ${currentStep}: ${err.message}`;
          throw err;
        }
      }),
    );
}
