// The Event Hubs settings on a real broker: a second local Kafka whose only listener is SASL_SSL
// with PLAIN and the user `$ConnectionString` (what the Event Hubs Kafka endpoint asks for), with
// a keytool certificate. The generator sends the FOIL sample through it, the Flink job reads and
// writes through it with the shaded login module, the relay reads the results through it, and
// the results equal an independent computation. A wrong key gets a clear error without the key.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { samples } from '../support/data.js';
import { createProgress, type Progress } from '../../common/progress.js';
import { defaultInputs, KafkaTransport, replay } from '../../generator/index.js';
import { loadLibrdkafka } from '../../generator/librdkafka-producer.js';
import { deployJob, functionsJarPath, renderJob, jobValues, runRelay } from '../../orchestrator/index.js';
import { FlinkRestClient, ResultsTable } from '../../clients/index.js';
import { cassandraOptions, flinkRestOptions } from '../../common/client-options.js';
import { startSecureKafka, type SecureKafka } from '../support/secure-services.js';
import { startUdfService } from '../../udf-service/index.js';
import { expectedStats, expectSameStats, readFoil, type StatsRow } from '../support/expected-stats.js';
import { createTopics, readMessages, uniqueName, type KafkaSecurity } from '../support/kafka.js';
import { freePort } from '../support/free-port.js';

const base = loadConfig();
let broker: SecureKafka;
let security: KafkaSecurity;
let service: Awaited<ReturnType<typeof startUdfService>>;

beforeAll(async () => {
  // Both start at once; when one fails, the other is still kept for afterAll to stop (a udf-service
  // left listening kept jest from exiting after the broker's start failed).
  const [started, udf] = await Promise.allSettled([
    freePort().then(async (port) => startSecureKafka(base, { dir: mkdtempSync(join(tmpdir(), 'tipstream-secure-kafka-')), port, controllerPort: await freePort() })),
    startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, where: base.udf.where, port: 0 }),
  ]);
  if (started.status === 'fulfilled') broker = started.value;
  if (udf.status === 'fulfilled') service = udf.value;
  if (started.status === 'rejected') throw started.reason;
  if (udf.status === 'rejected') throw udf.reason;
  security = { connectionString: broker.connectionString, caFile: broker.caFile };
});
afterAll(async () => {
  await service?.close();
  await broker?.stop();
});

it('runs generator, Flink job and relay over SASL_SSL / PLAIN / $ConnectionString, with the same results', async () => {
  const topics = { rideTopic: uniqueName('eh-rides'), fareTopic: uniqueName('eh-fares'), deadLetterTopic: uniqueName('eh-dead'), statsTopic: uniqueName('eh-stats') };
  // Event Hubs refuses topic creation over Kafka, and so deploy does not try: the hubs exist first.
  await createTopics(broker.bootstrapServers, Object.values(topics), 4, security);
  const config = loadConfig({
    overrides: {
      stateDir: mkdtempSync(join(tmpdir(), 'tipstream-eh-')),
      kafka: { bootstrapServers: broker.bootstrapServers, connectionString: broker.connectionString, caFile: broker.caFile, ...topics },
      job: { udfLookupUrl: `${service.url}/lookup`, windowSize: '1 hour', consumerGroup: uniqueName('eh-job') },
      relay: { consumerGroup: uniqueName('eh-relay') },
      cassandra: { keyspace: 'eh_standin' },
    },
  });
  // As with Event Hubs, the job writes at-least-once (no Kafka transactions there).
  expect(config.job.exactlyOnce).toBe(false);

  const transport = new KafkaTransport({ bootstrapServers: broker.bootstrapServers, rideTopic: topics.rideTopic, fareTopic: topics.fareTopic, connectionString: broker.connectionString, caFile: broker.caFile });
  expect(transport.description).toBe(`Kafka at ${broker.bootstrapServers} (SASL_SSL, PLAIN)`);
  // librdkafka where it is installed (as in CI), built with TLS and SASL.
  expect(transport.client).toBe(loadLibrdkafka().module ? 'librdkafka' : 'javascript');
  try {
    const summary = await replay(
      { source: { format: 'foil', input: defaultInputs.foil, faresLeadMs: 0, bufferCapacity: 10_000 }, faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 }, pacing: { kind: 'fast' }, batchSize: 50, rideTopic: topics.rideTopic, fareTopic: topics.fareTopic },
      transport,
      createProgress(false),
    );
    expect(summary.sent).toEqual({ rides: 108, fares: 108, total: 216 });
  } finally {
    await transport.close();
  }

  // The SQL that reaches Flink carries the secret only in the JAAS option; what is printed does not.
  const statements = await renderJob(jobValues(config, { bounded: true, topics }, await functionsJarPath(config)));
  expect(statements.some((s) => s.sql.includes(broker.connectionString))).toBe(true);
  expect(statements.every((s) => !s.printable.includes(broker.connectionString))).toBe(true);

  const deployment = await deployJob(config, { bounded: true, topics, jobName: 'event-hubs-standin' }, createProgress(false));
  await new FlinkRestClient(flinkRestOptions(config)).waitForState(deployment.jobId, ['FINISHED'], 300_000);
  const expected = expectedStats(readFoil(samples.foil), 3_600_000, service.index);
  const stats = (await readMessages(broker.bootstrapServers, topics.statsTopic, expected.length, 60_000, 3_000, security)).map((m) => JSON.parse(m.value) as StatsRow);
  expectSameStats(stats, expected);

  // The relay reads the results through the same endpoint and stores them.
  expect((await runRelay(config, { stopWhenIdleMs: 3000 })).written).toBe(expected.length);
  const table = await ResultsTable.open(cassandraOptions(config), { createSchema: false });
  try {
    expect((await table.read({})).length).toBeGreaterThanOrEqual(expected.length);
  } finally {
    await table.close();
  }
});

it('sends over SASL_SSL / PLAIN with the JavaScript client too (the fallback where librdkafka is missing)', async () => {
  const topics = { rideTopic: uniqueName('eh-js-rides'), fareTopic: uniqueName('eh-js-fares') };
  await createTopics(broker.bootstrapServers, Object.values(topics), 4, security);
  const transport = new KafkaTransport({ ...topics, bootstrapServers: broker.bootstrapServers, connectionString: broker.connectionString, caFile: broker.caFile, client: 'javascript' });
  try {
    const summary = await replay(
      { source: { format: 'foil', input: defaultInputs.foil, faresLeadMs: 0, bufferCapacity: 10_000 }, faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 }, pacing: { kind: 'fast' }, batchSize: 50, ...topics },
      transport,
      createProgress(false),
    );
    expect(summary.sent).toEqual({ rides: 108, fares: 108, total: 216 });
  } finally {
    await transport.close();
  }
  const [rides, fares] = await Promise.all([topics.rideTopic, topics.fareTopic].map((topic) => readMessages(broker.bootstrapServers, topic, 108, 60_000, 1_000, security)));
  expect([rides!.length, fares!.length]).toEqual([108, 108]);
  const farePartition = new Map(fares!.map((f) => [f.key, f.partition]));
  expect(rides!.filter((r) => farePartition.get(r.key) !== r.partition)).toEqual([]);
});

it('names the endpoint, not the key, when the connection string is wrong', async () => {
  const wrongKey = broker.connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=not-the-key');
  const transport = new KafkaTransport({ bootstrapServers: broker.bootstrapServers, rideTopic: 'any', fareTopic: 'any', connectionString: wrongKey, caFile: broker.caFile });
  try {
    // The idempotent producer alone would retry the refused login forever; the send must fail.
    const error = await transport.send([{ stream: 'ride', time: 0, key: 'k', value: '{}' }]).then(
      () => undefined,
      (err: unknown) => err as Error & { code?: string; cause?: unknown },
    );
    expect(error?.message).toBe(`Kafka at ${broker.bootstrapServers} (SASL_SSL, PLAIN) refused the login (SASL authentication failed): check the connection string's key and key name`);
    expect(error?.code).toBe('TIPSTREAM_CONFIG');
    expect(`${error?.message} ${String(error?.cause)}`).not.toContain('not-the-key');
  } finally {
    await transport.close().catch(() => undefined);
  }
}, 60_000);

// Last in this file: it stops the stand-in broker.
it('fails the replay, naming the endpoint, when the broker goes away in the middle', async () => {
  const topics = { rideTopic: uniqueName('eh-gone-rides'), fareTopic: uniqueName('eh-gone-fares') };
  await createTopics(broker.bootstrapServers, Object.values(topics), 4, security);
  const transport = new KafkaTransport({ ...topics, bootstrapServers: broker.bootstrapServers, connectionString: broker.connectionString, caFile: broker.caFile, deliveryTimeoutMs: 5_000 });
  // The broker is stopped once the first batch was acknowledged; 20,000 events/s for 400,000
  // events leaves most of the replay still to send.
  let stopping: Promise<void> | undefined;
  const progress: Progress = {
    enabled: false,
    step: () => undefined,
    bar: () => ({ update: (sent) => void (sent > 0 && (stopping ??= broker.stop())), setTotal: () => undefined, stop: () => undefined }),
  };
  try {
    const replaying = replay(
      { source: { format: 'synthetic', input: defaultInputs.synthetic, faresLeadMs: 0, bufferCapacity: 100_000, trips: 200_000 }, faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 }, pacing: { kind: 'rate', eventsPerSecond: 20_000 }, batchSize: 5_000, ...topics },
      transport,
      progress,
    );
    const error = await replaying.then(() => undefined, (err: unknown) => err as Error & { code?: string; cause?: unknown });
    expect(stopping).toBeDefined();
    expect(error?.message).toMatch(new RegExp(`^sending \\d+ events to Kafka at ${broker.bootstrapServers} \\(SASL_SSL, PLAIN\\) failed$`));
    expect(error?.code).toBe('TIPSTREAM_UNREACHABLE');
    expect(`${error?.message} ${String(error?.cause)}`).not.toContain(broker.connectionString);
  } finally {
    await stopping;
    await transport.close();
  }
}, 120_000);
