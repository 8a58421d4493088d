// Public surface of the generator: `tipstream generate`, and the pieces tests and benchmarks use.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { action, configFor, type ConfigFlag } from '../common/cli.js';
import { dataDir, requireExistingPath } from '../common/config.js';
import { parseDurationMs } from '../common/duration.js';
import { UserError } from '../common/errors.js';
import { createProgress } from '../common/progress.js';
import { ensureTopics } from '../orchestrator/index.js';
import { childLogger } from '../common/logger.js';
import { Heartbeat } from './heartbeat.js';
import { loadLibrdkafka } from './librdkafka-producer.js';
import { formatSummary, replay, type GeneratorSummary, type Pacing } from './replay.js';
import type { InputFormat } from './sources.js';
import { EventHubsTransport, eventHubsKafkaEndpoint, KafkaTransport, type Transport } from './transports.js';

export { formatSummary, replay, type GeneratorSummary, type Pacing, type ReplayOptions } from './replay.js';
export { events, newInputReport, type InputFormat, type InputReport, type SourceOptions } from './sources.js';
export { EventHubsTransport, KafkaTransport, type EventHubsBatch, type EventHubsProducer, type KafkaClientChoice, type Transport } from './transports.js';
export { fareCsv, messageKey, rideJson, type Fare, type OutgoingEvent, type Ride } from './records.js';
export { DEBS_DEFAULTS, parseDebs, parseFoilFare, parseFoilRide } from './parsers.js';
export { FaultInjector, type InjectionCounts } from './faults.js';
export { Heartbeat, HEARTBEAT_MEDALLION, heartbeatFare, heartbeatRide, type HeartbeatOptions } from './heartbeat.js';

/** The samples in the repository's data/ that each format reads when --input is not given. */
export const defaultInputs: Record<InputFormat, string> = {
  foil: join(dataDir, 'taxi', 'foil2013'),
  debs: join(dataDir, 'taxi', 'debs2015', 'sorted_data.first10k.csv.gz'),
  synthetic: join(dataDir, 'taxi', 'debs2015', 'sorted_data.first10k.csv.gz'),
};

/** --input, or the format's sample, checked to exist: a missing path is one line naming its origin. */
export function inputPath(format: InputFormat, input: string | undefined): string {
  return input === undefined
    ? requireExistingPath(defaultInputs[format], `the default input of --format ${format} (data/ in the repository)`)
    : requireExistingPath(input, '--input');
}

const generatorFlags: ConfigFlag[] = [
  { flag: 'bootstrap-servers', path: 'kafka.bootstrapServers' },
  { flag: 'ride-topic', path: 'kafka.rideTopic' },
  { flag: 'fare-topic', path: 'kafka.fareTopic' },
  { flag: 'partitions', path: 'kafka.partitions' },
  { flag: 'kafka-client', path: 'kafka.client' },
];

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
  program
    .command('generate')
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
    .option('--bootstrap-servers <list>', 'Kafka bootstrap servers (default 127.0.0.1:9092, or the Event Hubs endpoint of TIPSTREAM_KAFKA_CONNECTION_STRING)')
    .option('--ride-topic <name>', 'ride topic or hub (default taxi-rides)')
    .option('--fare-topic <name>', 'fare topic or hub (default taxi-fares)')
    .option('--partitions <n>', 'partitions of topics created here (default 4)')
    .option('--no-create-topics', 'do not create missing topics')
    .option('--kafka-client <client>', 'auto (librdkafka where installed, else javascript), librdkafka or javascript (default auto)')
    .option('--batch-size <n>', 'events handed to the transport at once (the JavaScript Kafka client sends them in requests of at most 768 KiB)', '1000')
    .option('--summary-json <file>', 'also write the summary, with exact counts by kind, as JSON')
    .action(
      action(async (flags: GenerateFlags, command: Command) => {
        const config = configFor(command, generatorFlags);
        const input = inputPath(flags.format, flags.input);
        if (flags.rate !== undefined && flags.speedup !== undefined) throw new UserError('TIPSTREAM_USAGE', '--rate and --speedup cannot be used together');
        const rate = positiveNumber(flags.rate, '--rate');
        const speedup = positiveNumber(flags.speedup, '--speedup');
        const pacing: Pacing = rate ? { kind: 'rate', eventsPerSecond: rate } : speedup ? { kind: 'speedup', factor: speedup } : { kind: 'fast' };
        const trips = positiveInteger(flags.trips, '--trips');
        const maxTrips = positiveInteger(flags.maxTrips, '--max-trips');
        if (flags.format === 'synthetic' && trips === undefined) throw new UserError('TIPSTREAM_USAGE', 'the synthetic format needs --trips N');
        const { rideTopic, fareTopic, connectionString } = config.kafka;
        const bootstrapServers = connectionString && !command.getOptionValue('bootstrapServers') && !process.env.TIPSTREAM_KAFKA_BOOTSTRAP_SERVERS
          ? eventHubsKafkaEndpoint(connectionString)
          : config.kafka.bootstrapServers;

        let transport: Transport;
        if (flags.transport === 'eventhubs') {
          transport = await EventHubsTransport.connect({ rideTopic, fareTopic, ...(connectionString ? { connectionString } : {}), ...(flags.namespace ? { namespace: flags.namespace } : {}) });
        } else {
          if (flags.createTopics && !connectionString) await ensureTopics({ ...config, kafka: { ...config.kafka, bootstrapServers } }, [rideTopic, fareTopic]);
          const kafka = new KafkaTransport({ bootstrapServers, rideTopic, fareTopic, client: config.kafka.client, ...(connectionString ? { connectionString } : {}), ...(config.kafka.caFile ? { caFile: config.kafka.caFile } : {}) });
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
  program
    .command('heartbeat')
    .description('keep a live job\'s event time moving while no trips arrive: a heartbeat with the wall clock as pickup time into every partition of both topics, every interval, until stopped (live data only: it makes replayed old trips late)')
    .option('--interval <duration>', 'time between rounds, e.g. "1 s"', '1 s')
    .option('--bootstrap-servers <list>', 'Kafka bootstrap servers (default 127.0.0.1:9092, or the Event Hubs endpoint of TIPSTREAM_KAFKA_CONNECTION_STRING)')
    .option('--ride-topic <name>', 'ride topic or hub (default taxi-rides)')
    .option('--fare-topic <name>', 'fare topic or hub (default taxi-fares)')
    .action(
      action(async (flags: { interval: string }, command: Command) => {
        const config = configFor(command, generatorFlags);
        const intervalMs = parseDurationMs(flags.interval, '--interval');
        const { rideTopic, fareTopic, connectionString, caFile } = config.kafka;
        const bootstrapServers = connectionString && !command.getOptionValue('bootstrapServers') && !process.env.TIPSTREAM_KAFKA_BOOTSTRAP_SERVERS ? eventHubsKafkaEndpoint(connectionString) : config.kafka.bootstrapServers;
        const heartbeat = new Heartbeat({ bootstrapServers, rideTopic, fareTopic, intervalMs, ...(connectionString ? { connectionString } : {}), ...(caFile ? { caFile } : {}) });
        await heartbeat.beat();
        process.stderr.write(`heartbeat: every ${flags.interval} into every partition of ${rideTopic} and ${fareTopic}; Ctrl-C stops\n`);
        heartbeat.start();
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await heartbeat.stop();
        process.stderr.write(`heartbeat: stopped after ${heartbeat.rounds} rounds (${heartbeat.failures} failed)\n`);
      }),
    );
}
