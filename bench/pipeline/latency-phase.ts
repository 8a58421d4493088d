// bench:pipeline's latency phase: the DEBS sample replayed 60x faster than it happened into an
// unbounded job with 1-minute windows; from a window's close to its first result row, read back
// read-committed on the results topic and written by the relay into Cassandra, exactly-once and
// then at-least-once.
import cassandra from 'cassandra-driver';
import { Consumer, FetchIsolationLevels, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import type { ResolvedConfig } from '../../common/config.js';
import { flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';
import { createProgress } from '../../common/progress.js';
import { ensureTopics, FlinkRestClient } from '../../clients/index.js';
import { defaultInputs, KafkaTransport, replay, type Transport } from '../../generator/index.js';
import { deployJob, runRelay } from '../../orchestrator/index.js';
import { deleteTopics, uniqueName } from '../../test/support/kafka.js';
import { percentile, windowTime } from './runs.js';

/** Forwards batches and remembers, for each acknowledged one, its latest event time and when. */
class TimedTransport implements Transport {
  readonly description: string;
  readonly acks: Array<{ eventTime: number; wall: number }> = [];
  constructor(private readonly inner: Transport) {
    this.description = inner.description;
  }
  async send(batch: Parameters<Transport['send']>[0]): Promise<void> {
    let eventTime = -Infinity;
    for (const e of batch) if (e.time > eventTime) eventTime = e.time;
    await this.inner.send(batch);
    // A send may resolve once queued in the client: the time wanted is the acknowledgement's.
    await this.inner.flush?.();
    this.acks.push({ eventTime, wall: Date.now() });
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * A window [s, e) can close once both streams' watermarks pass e: the first moment the
 * generator's acknowledged events reach e + the watermark delay. From then to the first result
 * row of that window readable (read-committed) on the stats topic is the latency measured.
 */
async function windowLatency(label: string, config: ResolvedConfig, exactlyOnce: boolean) {
  const topics = { rideTopic: uniqueName('lat-rides'), fareTopic: uniqueName('lat-fares'), deadLetterTopic: uniqueName('lat-dl'), statsTopic: uniqueName('lat-stats') };
  const runConfig: ResolvedConfig = { ...config, job: { ...config.job, windowSize: '1 minute', exactlyOnce, consumerGroup: uniqueName('lat-job') } };
  const delayMs = 3 * 60_000;
  if (config.job.rideWatermarkDelay !== '3 minutes' || config.job.fareWatermarkDelay !== '3 minutes') throw new Error('the latency phase assumes the default 3-minute watermark delays');
  await ensureTopics(kafkaTopicOptions(runConfig), Object.values(topics));
  const arrivals = new Map<number, number>();
  const consumer = new Consumer({ groupId: uniqueName('lat-reader'), clientId: 'tipstream-bench', bootstrapBrokers: config.kafka.bootstrapServers.split(','), deserializers: stringDeserializers });
  const stream = await consumer.consume({ topics: [topics.statsTopic], mode: MessagesStreamModes.EARLIEST, autocommit: false, isolationLevel: FetchIsolationLevels.READ_COMMITTED, maxWaitTime: 100 });
  const reading = (async () => {
    for await (const message of stream) {
      const end = windowTime((JSON.parse(String(message.value)) as { windowEnd: string }).windowEnd);
      if (!arrivals.has(end)) arrivals.set(end, Date.now());
    }
  })();
  // The relay into a fresh keyspace: a window counts as readable in Cassandra once the relay has
  // written its first row (it reports rows after the write is acknowledged).
  const keyspace = `bench_latency_${uniqueName('k').slice(2).replace(/-/g, '')}`;
  const inCassandra = new Map<number, number>();
  const relayAbort = new AbortController();
  const relaying = runRelay(
    { ...runConfig, kafka: { ...runConfig.kafka, statsTopic: topics.statsTopic }, cassandra: { ...runConfig.cassandra, keyspace } },
    {
      consumerGroup: uniqueName('lat-relay'),
      signal: relayAbort.signal,
      onRows: (rows) => {
        for (const row of rows) if (!inCassandra.has(windowTime(row.windowEnd))) inCassandra.set(windowTime(row.windowEnd), Date.now());
      },
    },
  );
  const flink = new FlinkRestClient(flinkRestOptions(config));
  const deployment = await deployJob(runConfig, { bounded: false, topics, jobName: `bench latency ${label}` }, createProgress(false));
  const transport = new TimedTransport(new KafkaTransport({ bootstrapServers: config.kafka.bootstrapServers, rideTopic: topics.rideTopic, fareTopic: topics.fareTopic }));
  try {
    const replayStarted = Date.now();
    await replay(
      {
        source: { format: 'debs', input: defaultInputs.debs, faresLeadMs: 0, bufferCapacity: 10_000 },
        faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 },
        pacing: { kind: 'speedup', factor: 60 },
        batchSize: 500,
        rideTopic: topics.rideTopic,
        fareTopic: topics.fareTopic,
      },
      transport,
      createProgress(false),
    );
    // Windows that the replay closed, leaving out those closed in the first 20 s (job warm-up).
    const lastEventTime = Math.max(...transport.acks.map((a) => a.eventTime));
    const firstEventTime = Math.min(...transport.acks.map((a) => a.eventTime));
    const closes = new Map<number, number>();
    for (const ack of transport.acks) {
      const lastClosed = Math.floor((ack.eventTime - delayMs) / 60_000) * 60_000;
      for (let end = lastClosed; end > lastClosed - 3_600_000 && !closes.has(end); end -= 60_000) closes.set(end, ack.wall);
    }
    const measured = [...closes].filter(([end, wall]) => end - 60_000 >= firstEventTime && end + delayMs <= lastEventTime && wall - replayStarted >= 20_000);
    const deadline = Date.now() + 60_000;
    while (measured.some(([end]) => !arrivals.has(end) || !inCassandra.has(end)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    for (const [where, seen] of [['on the topic', arrivals], ['in Cassandra', inCassandra]] as const) {
      const byWindow = measured.flatMap(([end, wall]) => (seen.has(end) ? [{ end, seconds: (seen.get(end)! - wall) / 1000, sinceStart: (wall - replayStarted) / 1000 }] : []));
      const latencies = byWindow.map((w) => w.seconds).sort((a, b) => a - b);
      const slowest = byWindow.sort((a, b) => b.seconds - a.seconds).slice(0, 3);
      const missing = measured.length - latencies.length;
      if (latencies.length === 0) {
        console.log(`window close → result ${where}, ${label}: no window result arrived (${measured.length} windows expected)`);
        continue;
      }
      console.log(
        `window close → result ${where}, ${label}: p50 ${percentile(latencies, 0.5).toFixed(2)} s, p90 ${percentile(latencies, 0.9).toFixed(2)} s, p99 ${percentile(latencies, 0.99).toFixed(2)} s, max ${latencies[latencies.length - 1]!.toFixed(2)} s over ${latencies.length} windows${missing ? `; ${missing} windows had no result within 60 s` : ''}; slowest ${slowest.map((w) => `${new Date(w.end).toISOString().slice(11, 16)} ${w.seconds.toFixed(2)} s (closed ${w.sinceStart.toFixed(0)} s into the replay)`).join(', ')}`,
      );
    }
  } finally {
    relayAbort.abort();
    await relaying.catch(() => undefined);
    const client = new cassandra.Client({ contactPoints: config.cassandra.contactPoints, localDataCenter: config.cassandra.localDataCenter, protocolOptions: { port: config.cassandra.port } });
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await client.shutdown().catch(() => undefined);
    await transport.close().catch(() => undefined);
    await flink.cancel(deployment.jobId).catch(() => undefined);
    await stream.close().catch(() => undefined);
    await reading.catch(() => undefined);
    await consumer.close().catch(() => undefined);
    await deleteTopics(config.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
  }
}

export async function runLatencyPhase(config: ResolvedConfig): Promise<void> {
  console.log(`latency: the DEBS sample at 60x into 1-minute windows; checkpoints every ${config.job.checkpointInterval} (exactly-once results become readable when one completes)`);
  await windowLatency('exactly-once', config, true);
  await windowLatency('at-least-once', config, false);
}
