// Public surface of the generator: replay, its sources, transports, faults and heartbeats.
import { join } from 'node:path';
import { dataDir, requireExistingPath } from '../common/config.js';
import type { InputFormat } from './sources.js';

export { formatSummary, replay, SendFrontier, type GeneratorSummary, type Pacing, type ReplayOptions } from './replay.js';
export { events, newInputReport, type InputFormat, type InputReport, type SourceOptions } from './sources.js';
export { EventHubsTransport, KafkaTransport, type EventHubsBatch, type EventHubsProducer, type KafkaClientChoice, type Transport } from './transports.js';
export { fareCsv, messageKey, rideJson, type Fare, type OutgoingEvent, type Ride } from './records.js';
export { DEBS_DEFAULTS, parseDebs, parseFoilFare, parseFoilRide } from './parsers.js';
export { FaultInjector, type InjectionCounts } from './faults.js';
export { Heartbeat, HEARTBEAT_MEDALLION, heartbeatFare, heartbeatRide, type HeartbeatOptions } from './heartbeat.js';
export { closingHeartbeatTime, ReplayHeartbeats, type HeartbeatSender, type ReplayHeartbeatCounts, type ReplayHeartbeatOptions, type WindowClosing } from './replay-heartbeats.js';
export { AcknowledgedTransport } from './acknowledged-transport.js';
export { loadLibrdkafka } from './librdkafka-producer.js';

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

