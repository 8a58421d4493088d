// The whole Flink job on real trip files: the generator replays them into Kafka, the job joins,
// enriches through the real udf-service and windows them, and every result row must equal an
// independent computation made here from the same files and the same boundaries. The test reads
// the files with its own few lines of parsing, not the generator's parsers, so a parser bug
// cannot hide itself.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ResolvedConfig } from '../../common/config.js';
import { samples } from '../support/data.js';
import { createProgress } from '../../common/progress.js';
import { defaultInputs, KafkaTransport, replay, type GeneratorSummary, type InputFormat } from '../../generator/index.js';
import { collectJobMetrics, deployJob, runRelay } from '../../orchestrator/index.js';
import { ensureTopics, FlinkRestClient, ResultsTable } from '../../clients/index.js';
import { cassandraOptions, flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';
import { startTestUdfService, type TestUdfService } from '../support/udf.js';
import { deleteTopics, readMessages, uniqueName } from '../support/kafka.js';
import { expectSameStats, expectedStats as expectedWith, readDebs, readFoil, type StatsRow } from '../support/expected-stats.js';

const expectedStats = (input: Parameters<typeof expectedWith>[0], windowMs: number) => expectedWith(input, windowMs, service.index);

const baseConfig = loadConfig();
const bootstrap = baseConfig.kafka.bootstrapServers;
let service: TestUdfService;
const createdTopics: string[] = [];

beforeAll(async () => {
  service = await startTestUdfService(baseConfig);
});
afterAll(async () => {
  await service?.close();
  await deleteTopics(bootstrap, createdTopics).catch(() => undefined);
});

interface Topics {
  rideTopic: string;
  fareTopic: string;
}

async function replayInto(format: InputFormat, malformedRate = 0): Promise<{ topics: Topics; summary: GeneratorSummary }> {
  const topics = { rideTopic: uniqueName('rides'), fareTopic: uniqueName('fares') };
  createdTopics.push(topics.rideTopic, topics.fareTopic);
  await ensureTopics(kafkaTopicOptions(baseConfig), Object.values(topics));
  const transport = new KafkaTransport({ bootstrapServers: bootstrap, ...topics });
  try {
    const summary = await replay(
      {
        source: { format, input: defaultInputs[format], faresLeadMs: 0, bufferCapacity: 100_000 },
        faults: { malformedRate, lateRate: 0, duplicateRate: 0, seed: 7 },
        pacing: { kind: 'fast' },
        batchSize: 1000,
        ...topics,
      },
      transport,
      createProgress(false),
    );
    expect(summary.input.rowsSkipped).toBe(0);
    return { topics, summary };
  } finally {
    await transport.close();
  }
}

/** Runs the job bounded over the topics until it finishes; returns its results and dead letters. */
async function runJob(
  topics: Topics,
  windowSize: string,
  expectedRows: number,
  expectedDeadLetters = 0,
  options: { lookupUrl?: string; whileRunning?: (jobId: string, flink: FlinkRestClient) => Promise<void> } = {},
) {
  const outputs = { deadLetterTopic: uniqueName('dead-letter'), statsTopic: uniqueName('stats') };
  createdTopics.push(...Object.values(outputs));
  const config: ResolvedConfig = loadConfig({
    overrides: {
      stateDir: mkdtempSync(join(tmpdir(), 'tipstream-correctness-')),
      job: { udfLookupUrl: options.lookupUrl ?? service.lookupUrl, windowSize, consumerGroup: uniqueName('correctness') },
    },
  });
  await ensureTopics(kafkaTopicOptions(config), Object.values(outputs));
  const deployment = await deployJob(config, { bounded: true, topics: { ...topics, ...outputs }, jobName: `correctness ${windowSize}` }, createProgress(false));
  const flink = new FlinkRestClient(flinkRestOptions(config));
  await options.whileRunning?.(deployment.jobId, flink);
  await flink.waitForState(deployment.jobId, ['FINISHED'], 300_000);
  // Once the expected count is in, reading goes on until 5 s pass quietly: an extra row would show.
  const stats = (await readMessages(bootstrap, outputs.statsTopic, expectedRows, 60_000, 5_000)).map((m) => JSON.parse(m.value) as StatsRow);
  const deadLetters = expectedDeadLetters === 0 ? [] : await readMessages(bootstrap, outputs.deadLetterTopic, expectedDeadLetters, 60_000, 5_000);
  return { statsTopic: outputs.statsTopic, metrics: await collectJobMetrics(flink, deployment.jobId), stats, deadLetters: deadLetters.map((m) => JSON.parse(m.value) as { stream: string; reason: string; payload: string }) };
}

describe('DEBS 2015 sample (10,004 trips, ride and fare in one row)', () => {
  const input = () => readDebs(samples.debs);

  it('gives exactly the independently computed rows with 1-hour and with 1-minute windows', async () => {
    const { topics, summary } = await replayInto('debs');
    expect(summary.sent).toEqual({ rides: 10_004, fares: 10_004, total: 20_008 });
    const hourly = expectedStats(input(), 3_600_000);
    const minutely = expectedStats(input(), 60_000);
    // Every pickup of the sample falls in the first hour of 2013.
    expect(new Set(hourly.map((row) => row.windowStart))).toEqual(new Set(['2013-01-01T00:00:00Z']));
    expect(hourly.length).toBeGreaterThan(50);
    expect(minutely.length).toBeGreaterThan(hourly.length);
    expect(hourly.reduce((n, row) => n + row.rideCount, 0)).toBe(10_004);

    // Both jobs at once: with parallelism 2 each they fit the TaskManager's 4 slots.
    const [hourResult, minuteResult] = await Promise.all([runJob(topics, '1 hour', hourly.length), runJob(topics, '1 minute', minutely.length)]);
    expectSameStats(hourResult.stats, hourly);
    expectSameStats(minuteResult.stats, minutely);

    // End to end: the relay stores the 1-minute results in Cassandra; the table equals the same computation.
    const relayConfig = loadConfig({
      overrides: {
        kafka: { statsTopic: minuteResult.statsTopic },
        cassandra: { keyspace: uniqueName('e2e').replace(/-/g, '_') },
        relay: { consumerGroup: uniqueName('correctness-relay') },
      },
    });
    expect((await runRelay(relayConfig, { stopWhenIdleMs: 3000 })).written).toBe(minutely.length);
    const table = await ResultsTable.open(cassandraOptions(relayConfig), { createSchema: false });
    try {
      // The table keeps timestamps; the topic and the computation write them without milliseconds.
      const isoSeconds = (t: string) => new Date(t).toISOString().replace('.000Z', 'Z');
      expectSameStats((await table.read()).map((r) => ({ ...r, windowStart: isoSeconds(r.windowStart), windowEnd: isoSeconds(r.windowEnd) })), minutely);
    } finally {
      await table.close();
    }
  });

  it('dead-letters exactly the injected malformed events and leaves the results unchanged', async () => {
    const { topics, summary } = await replayInto('debs', 0.02);
    const injected = summary.injected;
    expect(injected.malformedRides).toBeGreaterThan(50);
    expect(injected.malformedFares).toBeGreaterThan(50);
    const hourly = expectedStats(input(), 3_600_000);

    const result = await runJob(topics, '1 hour', hourly.length, injected.malformedRides + injected.malformedFares);
    expectSameStats(result.stats, hourly);
    const byStream = (stream: string) => result.deadLetters.filter((d) => d.stream === stream).length;
    expect({ ride: byStream('ride'), fare: byStream('fare') }).toEqual({ ride: injected.malformedRides, fare: injected.malformedFares });
    expect(result.deadLetters.every((d) => d.reason.length > 0 && typeof d.payload === 'string')).toBe(true);
    // The metrics tipstream reports (from Flink's record counts) equal the generator's summary.
    expect(result.metrics).toMatchObject({
      state: 'FINISHED',
      malformedRides: injected.malformedRides,
      malformedFares: injected.malformedFares,
      ridesRead: summary.sent.rides,
      faresRead: summary.sent.fares,
    });
  });
  it('stalls while the udf-service answers errors, restarting until it answers, then gives the complete results', async () => {
    const { topics } = await replayInto('debs');
    const hourly = expectedStats(input(), 3_600_000);
    // A stand-in for a udf-service in trouble: 500 for every lookup, then the real answers.
    let failing = true;
    const proxy = createServer((req, res) => {
      if (failing) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"down for this test"}');
        return;
      }
      fetch(`${service.url}${req.url ?? ''}`).then(
        async (upstream) => res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(await upstream.text()),
        () => res.writeHead(502).end(),
      );
    });
    await new Promise<void>((resolve) => proxy.listen(0, baseConfig.udf.bindAddress, resolve));
    try {
      const result = await runJob(topics, '1 hour', hourly.length, 0, {
        lookupUrl: service.lookupUrlAt((proxy.address() as AddressInfo).port),
        whileRunning: async (jobId, flink) => {
          // No trip becomes Unknown: the job fails, restarts with growing delays, and says why.
          const deadline = Date.now() + 120_000;
          let metrics = await collectJobMetrics(flink, jobId);
          while ((metrics.restarts ?? 0) < 2 && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 1_000));
            metrics = await collectJobMetrics(flink, jobId);
          }
          expect(metrics.restarts).toBeGreaterThanOrEqual(2);
          expect(metrics.lastFailure?.summary).toContain('HttpStatusCodeValidationFailedException: Incorrect response code: 500');
          failing = false;
        },
      });
      expectSameStats(result.stats, hourly);
      expect(result.metrics.restarts).toBeGreaterThanOrEqual(2);
    } finally {
      proxy.close();
    }
  });
});

describe('FOIL 2013 samples (rides and fares in separate, unordered files)', () => {
  it('gives exactly the independently computed rows with 1-hour windows', async () => {
    const folder = samples.foil;
    const { topics, summary } = await replayInto('foil');
    expect(summary.sent).toEqual({ rides: 108, fares: 108, total: 216 });
    const hourly = expectedStats(readFoil(folder), 3_600_000);
    expect(hourly.reduce((n, row) => n + row.rideCount, 0)).toBe(108);

    const result = await runJob(topics, '1 hour', hourly.length);
    expectSameStats(result.stats, hourly);
  });
});
