// bench:pipeline's input: synthetic trips written as fast as possible into the topics that the
// throughput and scaling phases read, once for all their rounds.
import type { ResolvedConfig } from '../../common/config.js';
import { kafkaTopicOptions } from '../../common/client-options.js';
import { createProgress } from '../../common/progress.js';
import { ensureTopics } from '../../clients/index.js';
import { defaultInputs, KafkaTransport, replay } from '../../generator/index.js';

export async function writeSyntheticTrips(config: ResolvedConfig, topics: { rideTopic: string; fareTopic: string }, trips: number): Promise<void> {
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
  console.log(`input: ${summary.sent.total.toLocaleString('en-US')} events written in ${summary.durationSeconds.toFixed(1)} s`);
}
