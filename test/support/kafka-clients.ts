// Which of the generator's Kafka clients the tests can run here. librdkafka is an optional
// dependency: where its native part is not installed, its tests are skipped with one line that
// names the module and how to build it (CI requires it, and checks that before the tests).
import { loadLibrdkafka } from '../../generator/librdkafka-producer.js';

export type KafkaClient = 'librdkafka' | 'javascript';

export function testedKafkaClients(): KafkaClient[] {
  const { problem } = loadLibrdkafka();
  if (problem === undefined) return ['librdkafka', 'javascript'];
  process.stderr.write(`skipping the librdkafka tests: ${problem}; build it with \`CKJS_LINKING=dynamic npm rebuild @confluentinc/kafka-javascript\` (needs libssl-dev and zlib1g-dev)\n`);
  return ['javascript'];
}
