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
import { ensureTopics } from '../clients/index.js';
import { kafkaLibDir } from '../stack/index.js';
import { findJava17 } from '../stack/java.js';
import { deleteTopics, uniqueName } from '../test/support/kafka.js';
import { kafkaTopicOptions } from '../common/client-options.js';

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

const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const client = (process.env.BENCH_KAFKA_CLIENT as KafkaClientChoice | undefined) ?? 'auto';
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
const rate = (n: number) => Math.round(n).toLocaleString('en-US');

/** One replay of the synthetic input into fresh topics: events/s and the average record size. */
async function generatorRound(): Promise<{ rate: number; recordSize: number; client: string; seconds: number }> {
  const rideTopic = uniqueName('bench-rides');
  const fareTopic = uniqueName('bench-fares');
  await ensureTopics({ ...kafkaTopicOptions(config), partitions }, [rideTopic, fareTopic]);
  const kafka = new KafkaTransport({ bootstrapServers: bootstrap, rideTopic, fareTopic, client });
  const transport = new MeasuringTransport(kafka);
  try {
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
    if (summary.sent.total !== trips * 2) throw new Error(`the replay sent ${summary.sent.total} events, not ${trips * 2}`);
    return { rate: summary.eventsPerSecond, recordSize: Math.round(transport.bytes / transport.count), client: kafka.client, seconds: summary.durationSeconds };
  } finally {
    await transport.close();
    await deleteTopics(bootstrap, [rideTopic, fareTopic]).catch(() => undefined);
  }
}

/** Kafka's own producer benchmark with the same record count, size and delivery settings. */
async function anchorRound(recordSize: number): Promise<{ rate: number; line: string }> {
  const anchorTopic = uniqueName('bench-anchor');
  await ensureTopics({ ...kafkaTopicOptions(config), partitions }, [anchorTopic]);
  try {
    const { stdout } = await execFileAsync(await findJava17(), [
      '-Xmx1g', '-cp', `${join(kafkaLibDir(config))}/*`, 'org.apache.kafka.tools.ProducerPerformance',
      '--topic', anchorTopic, '--num-records', String(trips * 2), '--record-size', String(recordSize), '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all', 'enable.idempotence=true', 'linger.ms=5', 'batch.size=262144',
    ], { maxBuffer: 64 * 1024 * 1024 });
    const line = stdout.trim().split('\n').pop() ?? '';
    return { rate: Number(/([\d.]+) records\/sec/.exec(line)?.[1]), line: line.replace(/, [\d.]+ ms avg latency.*/, '') };
  } finally {
    await deleteTopics(bootstrap, [anchorTopic]).catch(() => undefined);
  }
}

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; Kafka at ${bootstrap}`);
console.log(`${rounds} round(s), each the generator then ProducerPerformance, ${(trips * 2).toLocaleString('en-US')} events each (this machine is shared: compare the medians)`);
const generatorRates: number[] = [];
const anchorRates: number[] = [];
const ratios: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const generator = await generatorRound();
  console.log(`round ${round} generator: ${(trips * 2).toLocaleString('en-US')} events (${trips.toLocaleString('en-US')} synthetic trips) in ${generator.seconds.toFixed(1)} s = ${rate(generator.rate)} events/s (avg record ${generator.recordSize} bytes, Kafka client ${generator.client})`);
  const anchor = await anchorRound(generator.recordSize);
  console.log(`round ${round} ProducerPerformance: ${anchor.line}`);
  generatorRates.push(generator.rate);
  anchorRates.push(anchor.rate);
  ratios.push(generator.rate / anchor.rate);
  console.log(`round ${round} ratio: ${(generator.rate / anchor.rate * 100).toFixed(1)}%`);
}
console.log(`median generator: ${rate(median(generatorRates))} events/s; median ProducerPerformance: ${rate(median(anchorRates))} records/s`);
console.log(`ratio: generator / ProducerPerformance, median of the rounds = ${(median(ratios) * 100).toFixed(1)}% (rounds: ${ratios.map((r) => `${(r * 100).toFixed(1)}%`).join(', ')})`);
