// `npm run bench:generator`: events/s the generator sends into the local Kafka for a synthetic
// input (default 1M trips = 2M events), and, in the same run, Kafka's own producer benchmark
// (org.apache.kafka.tools.ProducerPerformance) with the same record count and size, the same
// topic settings and the same delivery settings (acks=all, idempotent).
import { execFile } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../common/config.js';
import { createProgress } from '../common/progress.js';
import { defaultInputs, KafkaTransport, replay, type KafkaClientChoice, type OutgoingEvent, type Transport } from '../generator/index.js';
import type { EncodedChunk } from '../generator/encoded-source.js';
import { ensureTopics } from '../orchestrator/index.js';
import { kafkaLibDir } from '../stack/index.js';
import { findJava17 } from '../stack/java.js';
import { deleteTopics, uniqueName } from '../test/support/kafka.js';

const execFileAsync = promisify(execFile);
const trips = Number(process.env.BENCH_TRIPS ?? 1_000_000);
const partitions = 4;
const config = loadConfig();
const bootstrap = config.kafka.bootstrapServers;

/**
 * Measures the record size on one batch in 20, spread over the whole run, to give the anchor the
 * same size without slowing the measured run: measuring every event ran in the sending thread.
 */
class MeasuringTransport implements Transport {
  bytes = 0;
  count = 0;
  private batches = 0;
  constructor(private readonly inner: Transport) {}
  get description() {
    return this.inner.description;
  }
  get maxInFlight() {
    return this.inner.maxInFlight;
  }
  async send(batch: OutgoingEvent[]) {
    if (this.batches++ % 20 === 0) {
      for (const e of batch) this.bytes += Buffer.byteLength(e.value) + Buffer.byteLength(e.key);
      this.count += batch.length;
    }
    await this.inner.send(batch);
  }
  async flush() {
    await this.inner.flush?.();
  }
  get sendEncoded() {
    const inner = this.inner.sendEncoded?.bind(this.inner);
    if (!inner) return undefined;
    return async (chunk: EncodedChunk) => {
      if (this.batches++ % 20 === 0) {
        this.bytes += chunk.bytes.byteLength;
        this.count += chunk.count;
      }
      await inner(chunk);
    };
  }
  async close() {
    await this.inner.close();
  }
}

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; Kafka at ${bootstrap}`);
const rideTopic = uniqueName('bench-rides');
const fareTopic = uniqueName('bench-fares');
const anchorTopic = uniqueName('bench-anchor');
await ensureTopics({ ...config, kafka: { ...config.kafka, partitions } }, [rideTopic, fareTopic, anchorTopic]);
try {
  const kafkaOptions = { bootstrapServers: bootstrap, rideTopic, fareTopic };
  const kafka = new KafkaTransport({ ...kafkaOptions, client: (process.env.BENCH_KAFKA_CLIENT as KafkaClientChoice | undefined) ?? 'auto' });
  const transport = new MeasuringTransport(kafka);
  const summary = await replay(
    {
      source: { format: 'synthetic', input: defaultInputs.synthetic, faresLeadMs: 0, bufferCapacity: 200_000, trips },
      faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 },
      pacing: { kind: 'fast' },
      batchSize: Number(process.env.BENCH_BATCH ?? 5000),
      rideTopic,
      fareTopic,
    },
    transport,
    createProgress(),
  );
  await transport.close();
  const recordSize = Math.round(transport.bytes / transport.count);
  const generatorRate = summary.eventsPerSecond;
  console.log(`generator: ${summary.sent.total.toLocaleString('en-US')} events (${trips.toLocaleString('en-US')} synthetic trips) in ${summary.durationSeconds.toFixed(1)} s = ${Math.round(generatorRate).toLocaleString('en-US')} events/s (avg record ${recordSize} bytes, Kafka client ${kafka.client})`);

  const java = await findJava17();
  const { stdout } = await execFileAsync(java, [
    '-Xmx1g', '-cp', `${join(kafkaLibDir(config))}/*`, 'org.apache.kafka.tools.ProducerPerformance',
    '--topic', anchorTopic, '--num-records', String(summary.sent.total), '--record-size', String(recordSize), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all', 'enable.idempotence=true', 'linger.ms=5', 'batch.size=262144',
  ], { maxBuffer: 64 * 1024 * 1024 });
  const last = stdout.trim().split('\n').pop() ?? '';
  const anchorRate = Number(/([\d.]+) records\/sec/.exec(last)?.[1]);
  console.log(`ProducerPerformance: ${last}`);
  console.log(`ratio: generator / ProducerPerformance = ${(generatorRate / anchorRate * 100).toFixed(1)}%`);
} finally {
  await deleteTopics(bootstrap, [rideTopic, fareTopic, anchorTopic]).catch(() => undefined);
}
