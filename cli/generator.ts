// `tipstream generate` and `tipstream heartbeat`: trips, or heartbeats, into the ride and fare topics.
import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { ensureTopics, kafkaEndpoint } from '../clients/index.js';
import { parseDurationMs } from '../common/duration.js';
import { UserError } from '../common/errors.js';
import { childLogger } from '../common/logger.js';
import { createProgress } from '../common/progress.js';
import { EventHubsTransport, formatSummary, Heartbeat, inputPath, KafkaTransport, loadLibrdkafka, replay, type GeneratorSummary, type InputFormat, type Pacing, type Transport } from '../generator/index.js';
import { action, configFor, untilStopped, withConfigFlags, type ConfigPath } from './flags.js';

const generatorSettings: ConfigPath[] = ['kafka.bootstrapServers', 'kafka.rideTopic', 'kafka.fareTopic', 'kafka.partitions', 'kafka.client'];

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

function probability(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new UserError('TIPSTREAM_USAGE', `${flag} must be a probability between 0 and 1, got '${text}'`);
  return value;
}

export function registerGenerateCommand(program: Command): void {
  withConfigFlags(program.command('generate'), generatorSettings)
    .description('replay trip files into the ride and fare topics (Kafka) or hubs (Event Hubs)')
    .addOption(new Option('--format <format>', 'foil: trip_data_N + trip_fare_N pairs; debs: DEBS 2015 combined rows; synthetic: a scale-up of a DEBS file').choices(['foil', 'debs', 'synthetic']).default('debs'))
    .option('--input <path>', 'a file or folder; .csv, .csv.gz or .zip (default: the matching sample in data/)')
    .option('--trips <n>', 'synthetic: how many trips to generate')
    .option('--max-trips <n>', 'stop after this many trips')
    .option('--rate <events-per-second>', 'send at this rate (default: as fast as possible)')
    .option('--speedup <factor>', 'send at event-time speed times this factor')
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

        let transport: Transport;
        if (flags.transport === 'eventhubs') {
          transport = await EventHubsTransport.connect({ rideTopic, fareTopic, ...(connectionString ? { connectionString } : {}), ...(flags.namespace ? { namespace: flags.namespace } : {}) });
        } else {
          if (flags.createTopics && !connectionString) await ensureTopics(config, [rideTopic, fareTopic]);
          const kafka = new KafkaTransport({ ...kafkaEndpoint(config), rideTopic, fareTopic, client: config.kafka.client });
          if (kafka.client === 'javascript' && config.kafka.client === 'auto') {
            childLogger('generator').warn(`using the JavaScript Kafka client, slower than librdkafka (about 0.7x here): ${loadLibrdkafka().problem ?? 'this librdkafka build has no TLS or SASL PLAIN'} (see the README, Generator)`);
          }
          transport = kafka;
        }

        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        let summary: GeneratorSummary;
        try {
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
            },
            transport,
            createProgress(),
          );
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await transport.close().catch(() => undefined);
        }
        process.stdout.write(formatSummary(summary));
        if (flags.summaryJson) await writeFile(flags.summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
        if (summary.interrupted) process.exitCode = 130;
      }),
    );
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
