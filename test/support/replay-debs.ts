// The DEBS sample into a pair of topics as fast as Kafka takes it, no faults: what the tests that
// compare a job's windows with the independent computation on that sample send first.
import { createProgress } from '../../common/progress.js';
import { defaultInputs, KafkaTransport, replay, type GeneratorSummary } from '../../generator/index.js';

export async function replayDebsSample(bootstrapServers: string, topics: { rideTopic: string; fareTopic: string }): Promise<GeneratorSummary> {
  const transport = new KafkaTransport({ bootstrapServers, rideTopic: topics.rideTopic, fareTopic: topics.fareTopic });
  return replay(
    {
      source: { format: 'debs', input: defaultInputs.debs, faresLeadMs: 0, bufferCapacity: 100_000 },
      faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 7 },
      pacing: { kind: 'fast' },
      batchSize: 1000,
      rideTopic: topics.rideTopic,
      fareTopic: topics.fareTopic,
    },
    transport,
    createProgress(false),
  ).finally(() => transport.close());
}
