// `tipstream generate` and `tipstream heartbeat`: trips, or heartbeats, into the ride and fare topics.
import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { ensureTopics } from '../clients/index.js';
import { describeSetting, type ResolvedConfig } from '../common/config.js';
import { parseDurationMs } from '../common/duration.js';
import { ConfigError, UserError } from '../common/errors.js';
import { childLogger } from '../common/logger.js';
import { createProgress } from '../common/progress.js';
import { AcknowledgedTransport, EventHubsTransport, formatSummary, Heartbeat, inputPath, KafkaTransport, loadLibrdkafka, replay, ReplayHeartbeats, type GeneratorSummary, type InputFormat, type Pacing, type Transport, type WindowClosing } from '../generator/index.js';
import { action, configFor, untilStopped, withConfigFlags, type ConfigPath } from './flags.js';
import { kafkaEndpoint, kafkaTopicOptions } from '../common/client-options.js';

const generatorSettings: ConfigPath[] = ['kafka.bootstrapServers', 'kafka.rideTopic', 'kafka.fareTopic', 'kafka.partitions', 'kafka.client', 'job.windowSize', 'job.rideWatermarkDelay', 'job.fareWatermarkDelay'];
/** The job's settings as generate reads them: only --heartbeats uses them, to close the last window. */
const jobSettingHelp = {
  'job.windowSize': { help: "with --heartbeats: the job's tumbling window size" },
  'job.rideWatermarkDelay': { help: "with --heartbeats: the job's ride watermark delay" },
  'job.fareWatermarkDelay': { help: "with --heartbeats: the job's fare watermark delay" },
};
const DEFAULT_HEARTBEAT_INTERVAL = '1 s';

interface GenerateFlags {
  input?: string;
  format: InputFormat;
  trips?: string;
  maxTrips?: string;
  rate?: string;
  speedup?: string;
  faresLead?: string;
  malformedRate: string;
  lateRate: string;
  duplicateRate: string;
  seed: string;
  transport: 'kafka' | 'eventhubs';
  namespace?: string;
  batchSize: string;
  summaryJson?: string;
  createTopics: boolean;
  /** `--heartbeats` alone is `true`: the default interval. */
  heartbeats?: string | true;
}

function positiveInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UserError('TIPSTREAM_USAGE', `${flag} must be a whole number of at least 1, got '${text}'`);
  return Number(text);
}

function positiveNumber(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UserError('TIPSTREAM_USAGE', `${flag} must be a positive number, got '${text}'`);
  return value;
}

/** --heartbeats' interval, or undefined without the flag. */
function heartbeatInterval(flags: GenerateFlags): number | undefined {
  if (flags.heartbeats === undefined) return undefined;
  const text = flags.heartbeats === true ? DEFAULT_HEARTBEAT_INTERVAL : flags.heartbeats;
  const ms = parseDurationMs(text, '--heartbeats');
  if (ms <= 0) throw new UserError('TIPSTREAM_USAGE', `--heartbeats must be an interval longer than 0, got '${text}'`);
  if (flags.transport !== 'kafka') throw new UserError('TIPSTREAM_USAGE', '--heartbeats needs --transport kafka (the heartbeats go through the Kafka protocol)');
  return ms;
}

/**
 * When the job closes its windows, from the same settings it was deployed with. The closing
 * heartbeat may come up to a window plus the longer delay after the last trip: a job that refuses
 * a jump that large (job.maxJump) would dead-letter it and close nothing.
 */
function windowClosing(config: ResolvedConfig): WindowClosing {
  const ms = (path: 'job.windowSize' | 'job.rideWatermarkDelay' | 'job.fareWatermarkDelay' | 'job.maxJump', text: string) => parseDurationMs(text, describeSetting(config, path));
  const { job } = config;
  const closing = { windowMs: ms('job.windowSize', job.windowSize), rideWatermarkDelayMs: ms('job.rideWatermarkDelay', job.rideWatermarkDelay), fareWatermarkDelayMs: ms('job.fareWatermarkDelay', job.fareWatermarkDelay) };
  const reach = closing.windowMs + Math.max(closing.rideWatermarkDelayMs, closing.fareWatermarkDelayMs);
  if (job.maxJump.trim() !== 'off' && reach > ms('job.maxJump', job.maxJump)) {
    const window = `${job.windowSize} plus ${closing.rideWatermarkDelayMs >= closing.fareWatermarkDelayMs ? job.rideWatermarkDelay : job.fareWatermarkDelay}`;
    throw new ConfigError(`--heartbeats: the closing heartbeat may come up to ${window} (the window plus the longer watermark delay) after the last trip, further than ${describeSetting(config, 'job.maxJump')} (${job.maxJump}) lets a partition's time jump: the job would dead-letter it`);
  }
  return closing;
}

function probability(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new UserError('TIPSTREAM_USAGE', `${flag} must be a probability between 0 and 1, got '${text}'`);
  return value;
}

export function registerGenerateCommand(program: Command): void {
  withConfigFlags(program.command('generate'), generatorSettings, jobSettingHelp)
    .description('replay trip files into the ride and fare topics (Kafka) or hubs (Event Hubs); --heartbeats lets an unbounded job close every window of the replay')
    .addOption(new Option('--format <format>', 'foil: trip_data_N + trip_fare_N pairs; debs: DEBS 2015 combined rows; synthetic: a scale-up of a DEBS file').choices(['foil', 'debs', 'synthetic']).default('debs'))
    .option('--input <path>', 'a file or folder; .csv, .csv.gz or .zip (default: the matching sample in data/)')
    .option('--trips <n>', 'synthetic: how many trips to generate')
    .option('--max-trips <n>', 'stop after this many trips')
    .option('--rate <events-per-second>', 'send at this rate (default: as fast as possible)')
    .option('--speedup <factor>', 'send at event-time speed times this factor')
    .option(
      '--heartbeats [interval]',
      `for an unbounded job: heartbeats on the replay's own clock, every interval (default "${DEFAULT_HEARTBEAT_INTERVAL}") behind the oldest trip not yet acknowledged, and at the end of the input one that closes the last windows (set --window and the watermark delays to the job's)`,
    )
    .option('--fares-lead <duration>', 'send fares this much ahead of their rides in event time, e.g. "5 minutes"')
    .option('--malformed-rate <p>', 'inject a malformed ride or fare after each event with this probability', '0')
    .option('--late-rate <p>', 'inject a copy a day behind the stream after each event with this probability', '0')
    .option('--duplicate-rate <p>', 'send an event twice with this probability', '0')
    .option('--seed <n>', 'seed of the fault injection', '1')
    .addOption(new Option('--transport <kind>', 'kafka (local broker or Event Hubs Kafka endpoint) or eventhubs (AMQP)').choices(['kafka', 'eventhubs']).default('kafka'))
    .option('--namespace <name>', 'eventhubs without a connection string: the namespace, signed in with DefaultAzureCredential')
    .option('--no-create-topics', 'do not create missing topics')
    .option('--batch-size <n>', 'events handed to the transport at once (the JavaScript Kafka client sends them in requests of at most 768 KiB)', '1000')
    .option('--summary-json <file>', 'also write the summary, with exact counts by kind, as JSON')
    .action(
      action(async (flags: GenerateFlags, command: Command) => {
        const config = configFor(command);
        const input = inputPath(flags.format, flags.input);
        if (flags.rate !== undefined && flags.speedup !== undefined) throw new UserError('TIPSTREAM_USAGE', '--rate and --speedup cannot be used together');
        const rate = positiveNumber(flags.rate, '--rate');
        const speedup = positiveNumber(flags.speedup, '--speedup');
        const pacing: Pacing = rate ? { kind: 'rate', eventsPerSecond: rate } : speedup ? { kind: 'speedup', factor: speedup } : { kind: 'fast' };
        const trips = positiveInteger(flags.trips, '--trips');
        const maxTrips = positiveInteger(flags.maxTrips, '--max-trips');
        if (flags.format === 'synthetic' && trips === undefined) throw new UserError('TIPSTREAM_USAGE', 'the synthetic format needs --trips N');
        const { rideTopic, fareTopic, connectionString } = config.kafka;
        const intervalMs = heartbeatInterval(flags);
        // Checked before anything connects: a setting that cannot close the windows is one line.
        const heartbeatPlan = intervalMs === undefined ? undefined : { intervalMs, job: windowClosing(config) };

        let transport: Transport;
        if (flags.transport === 'eventhubs') {
          transport = await EventHubsTransport.connect({ rideTopic, fareTopic, ...(connectionString ? { connectionString } : {}), ...(flags.namespace ? { namespace: flags.namespace } : {}) });
        } else {
          if (flags.createTopics && !connectionString) await ensureTopics(kafkaTopicOptions(config), [rideTopic, fareTopic]);
          const kafka = new KafkaTransport({ ...kafkaEndpoint(config), rideTopic, fareTopic });
          if (kafka.client === 'javascript' && config.kafka.client === 'auto') {
            childLogger('generator').warn(`using the JavaScript Kafka client, slower than librdkafka (about 0.7x here): ${loadLibrdkafka().problem ?? 'this librdkafka build has no TLS or SASL PLAIN'} (see the README, Generator)`);
          }
          // Heartbeats are held behind what Kafka has acknowledged, not what a client has queued.
          transport = heartbeatPlan ? new AcknowledgedTransport(kafka) : kafka;
        }
        const heartbeat = heartbeatPlan && new Heartbeat({ ...kafkaEndpoint(config), rideTopic, fareTopic, intervalMs: heartbeatPlan.intervalMs });
        const heartbeats = heartbeat && new ReplayHeartbeats(heartbeat, heartbeatPlan);

        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        let summary: GeneratorSummary;
        try {
          heartbeats?.start();
          summary = await replay(
            {
              source: {
                format: flags.format,
                input,
                faresLeadMs: flags.faresLead ? parseDurationMs(flags.faresLead, '--fares-lead') : 0,
                ...(maxTrips ? { maxTrips } : {}),
                ...(trips ? { trips } : {}),
                bufferCapacity: 200_000,
              },
              faults: {
                malformedRate: probability(flags.malformedRate, '--malformed-rate'),
                lateRate: probability(flags.lateRate, '--late-rate'),
                duplicateRate: probability(flags.duplicateRate, '--duplicate-rate'),
                seed: Number(flags.seed) | 0,
              },
              pacing,
              batchSize: positiveInteger(flags.batchSize, '--batch-size')!,
              rideTopic,
              fareTopic,
              signal: abort.signal,
              ...(heartbeats ? { frontier: heartbeats.frontier } : {}),
            },
            transport,
            createProgress(),
          );
          // Only an input that ended is closed: an interrupted replay's windows may still get trips.
          if (heartbeats && !summary.interrupted) await heartbeats.close();
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await heartbeats?.stop();
          await heartbeat?.stop();
          await transport.close().catch(() => undefined);
        }
        process.stdout.write(formatSummary(summary));
        if (heartbeats) process.stdout.write(`${formatHeartbeats(heartbeats, flags)}\n`);
        if (flags.summaryJson) await writeFile(flags.summaryJson, `${JSON.stringify(heartbeats ? { ...summary, heartbeats: heartbeats.counts } : summary, null, 2)}\n`);
        if (summary.interrupted) process.exitCode = 130;
      }),
    );
}

function formatHeartbeats(heartbeats: ReplayHeartbeats, flags: GenerateFlags): string {
  const { rounds, failures, closedAt } = heartbeats.counts;
  const interval = flags.heartbeats === true ? DEFAULT_HEARTBEAT_INTERVAL : flags.heartbeats;
  const closing = closedAt === undefined ? 'no closing heartbeat (the input did not end, or held no trip)' : `closing heartbeat at ${new Date(closedAt).toISOString()}`;
  return `Heartbeats: ${rounds} rounds every ${interval} behind the send frontier (${failures} failed), ${closing}.`;
}

export function registerHeartbeatCommand(program: Command): void {
  withConfigFlags(program.command('heartbeat'), ['kafka.bootstrapServers', 'kafka.rideTopic', 'kafka.fareTopic'])
    .description('keep a live job\'s event time moving while no trips arrive: a heartbeat with the wall clock as pickup time into every partition of both topics, every interval, until stopped (live data only: it makes replayed old trips late)')
    .option('--interval <duration>', 'time between rounds, e.g. "1 s"', '1 s')
    .action(
      action(async (flags: { interval: string }, command: Command) => {
        const config = configFor(command);
        const intervalMs = parseDurationMs(flags.interval, '--interval');
        const { rideTopic, fareTopic } = config.kafka;
        const heartbeat = new Heartbeat({ ...kafkaEndpoint(config), rideTopic, fareTopic, intervalMs });
        await heartbeat.beat();
        process.stderr.write(`heartbeat: every ${flags.interval} into every partition of ${rideTopic} and ${fareTopic}; Ctrl-C stops\n`);
        heartbeat.start();
        await untilStopped();
        await heartbeat.stop();
        process.stderr.write(`heartbeat: stopped after ${heartbeat.rounds} rounds (${heartbeat.failures} failed)\n`);
      }),
    );
}
