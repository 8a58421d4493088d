// Live mode's generator: the real trips of the DEBS sample, copied over and over with their times
// moved onto the live clock, into the hubs at its pace, each send acknowledged by Kafka.
import type { ResolvedConfig } from '../../common/config.js';
import type { Progress, ProgressBar } from '../../common/progress.js';
import { kafkaEndpoint } from '../../common/client-options.js';
import { AcknowledgedTransport, defaultInputs, KafkaTransport, replay, SendFrontier, type GeneratorSummary } from '../../generator/index.js';
import type { LiveClock } from './clock.js';

export function liveTransport(config: ResolvedConfig): AcknowledgedTransport {
  const k = config.kafka;
  return new AcknowledgedTransport(new KafkaTransport({ ...kafkaEndpoint(config), rideTopic: k.rideTopic, fareTopic: k.fareTopic }));
}

/** How far the generator has Kafka acknowledge everything (a minute behind the clock before its first trip). */
export function liveFrontier(clock: LiveClock): SendFrontier {
  return new SendFrontier(clock.start - 60_000);
}

/** A progress that keeps the generator's sent count (the replay reports it through its bar). */
function countingProgress(onSent: (events: number) => void): Progress {
  const bar: ProgressBar = { update: (done) => onSent(done), setTotal() {}, stop() {} };
  return { enabled: false, step() {}, bar: () => bar };
}

export interface LiveGeneratorOptions {
  malformedRate: number;
  /** Aborting stops the generator. */
  signal: AbortSignal;
  frontier: SendFrontier;
  onSent: (events: number) => void;
}

/** Replays trips on the live clock until `signal` aborts. */
export function generateLive(config: ResolvedConfig, clock: LiveClock, options: LiveGeneratorOptions, transport: AcknowledgedTransport): Promise<GeneratorSummary> {
  const k = config.kafka;
  return replay(
    {
      source: { format: 'synthetic', input: defaultInputs.synthetic, faresLeadMs: 0, bufferCapacity: 200_000, trips: Number.MAX_SAFE_INTEGER, startAt: clock.start },
      faults: { malformedRate: options.malformedRate, lateRate: 0, duplicateRate: 0, seed: clock.start % 2_147_483_647 },
      pacing: { kind: 'speedup', factor: clock.speedup },
      batchSize: 200,
      rideTopic: k.rideTopic,
      fareTopic: k.fareTopic,
      signal: options.signal,
      frontier: options.frontier,
    },
    transport,
    countingProgress(options.onSent),
  );
}
