// bench:pipeline's input: synthetic trips written as fast as possible into the topics that the
// throughput, ladder and scaling phases read, once per size for all their rounds. The topics are
// `<run>-rides` and `<run>-fares`, the names the calibration job (../shared/calibration) expects.
import type { ResolvedConfig } from '../../common/config.js';
import { kafkaTopicOptions } from '../../common/client-options.js';
import { createProgress } from '../../common/progress.js';
import { ensureTopics } from '../../clients/index.js';
import { defaultInputs, KafkaTransport, replay } from '../../generator/index.js';
import { uniqueName } from '../../test/support/kafka.js';

/** Topics holding `trips` synthetic trips, every one well-formed and with its fare. */
export interface BenchInput {
  run: string;
  rideTopic: string;
  fareTopic: string;
  trips: number;
}

export async function writeSyntheticTrips(config: ResolvedConfig, trips: number): Promise<BenchInput> {
  const run = uniqueName('bench');
  const topics = { rideTopic: `${run}-rides`, fareTopic: `${run}-fares` };
  await ensureTopics(kafkaTopicOptions(config), Object.values(topics));
  const transport = new KafkaTransport({ bootstrapServers: config.kafka.bootstrapServers, ...topics });
  const summary = await replay(
    {
      source: { format: 'synthetic', input: defaultInputs.synthetic, faresLeadMs: 0, bufferCapacity: 200_000, trips },
      faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 },
      pacing: { kind: 'fast' },
      batchSize: 5000,
      ...topics,
    },
    transport,
    createProgress(),
  ).finally(() => transport.close());
  console.log(`input: ${summary.sent.total.toLocaleString('en-US')} events (${trips.toLocaleString('en-US')} trips) written to ${run}-{rides,fares} in ${summary.durationSeconds.toFixed(1)} s`);
  return { run, ...topics, trips };
}
