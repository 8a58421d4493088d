// The relay on the real Kafka and Cassandra: results land as upserts, a killed relay resumes
// without loss, and a Cassandra or Kafka outage is retried through and caught up.
import { Registry } from 'prom-client';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer, stringSerializers } from '@platformatic/kafka';
import cassandra from 'cassandra-driver';
import { loadConfig, type ResolvedConfig } from '../../common/config.js';
import { ensureTopics, ResultsTable, type WindowResult } from '../../clients/index.js';
import { cassandraOptions, kafkaTopicOptions } from '../../common/client-options.js';
import { runRelay } from '../../orchestrator/index.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startSecureKafka } from '../support/secure-services.js';
import { createTopics, deleteTopics, produce, uniqueName } from '../support/kafka.js';
import { freePort } from '../support/free-port.js';
import { windowResults } from '../support/window-results.js';

const base = loadConfig();
const bootstrap = base.kafka.bootstrapServers;
const keyspaces: string[] = [];
const topics: string[] = [];

afterAll(async () => {
  await deleteTopics(bootstrap, topics).catch(() => undefined);
  const client = new cassandra.Client({ contactPoints: base.cassandra.contactPoints, localDataCenter: base.cassandra.localDataCenter, protocolOptions: { port: base.cassandra.port } });
  for (const keyspace of keyspaces) await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown();
});

/** A fresh topic and keyspace, and a config pointing at them. */
async function setup(overrides: Record<string, unknown> = {}): Promise<{ config: ResolvedConfig; topic: string }> {
  const topic = uniqueName('relay-results');
  const keyspace = `relay_${uniqueName('t').slice(2).replace(/-/g, '')}`;
  topics.push(topic);
  keyspaces.push(keyspace);
  await ensureTopics(kafkaTopicOptions(base), [topic]);
  const { cassandra: cassandraOverrides, relay: relayOverrides, ...rest } = overrides as { cassandra?: object; relay?: object };
  const config = loadConfig({
    overrides: { ...rest, kafka: { statsTopic: topic }, cassandra: { keyspace, ...cassandraOverrides }, relay: { consumerGroup: uniqueName('relay'), ...relayOverrides } },
  });
  return { config, topic };
}

const key = (r: WindowResult) => `${r.neighborhood}|${new Date(r.windowEnd).toISOString()}`;

/** Rows so far; none while the relay has not yet created the keyspace. */
async function rowsSoFar(config: ResolvedConfig): Promise<number> {
  return tableRows(config).then((rows) => rows.size, () => 0);
}

async function tableRows(config: ResolvedConfig): Promise<Map<string, WindowResult>> {
  const table = await ResultsTable.open(cassandraOptions(config), { createSchema: false });
  try {
    return new Map((await table.read()).map((r) => [key(r), r]));
  } finally {
    await table.close();
  }
}

async function produceResults(topic: string, rows: WindowResult[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    await produce(bootstrap, topic, rows.slice(i, i + 5000).map((r) => ({ key: r.neighborhood, value: JSON.stringify(r) })));
  }
}

function expectTableEquals(actual: Map<string, WindowResult>, expected: WindowResult[]): void {
  expect(actual.size).toBe(new Set(expected.map(key)).size);
  for (const want of expected) {
    const got = actual.get(key(want));
    expect(got).toEqual({ ...want, windowStart: new Date(want.windowStart).toISOString(), windowEnd: new Date(want.windowEnd).toISOString() });
  }
}

it('upserts every window result, overwrites a repeated one, and rejects what is not a result', async () => {
  const { config, topic } = await setup();
  const rows = windowResults(300);
  const revised = { ...rows[0]!, rideCount: 99, totalFareAmount: 1 };
  await produceResults(topic, rows);
  await produce(bootstrap, topic, [{ value: 'not json' }, { value: JSON.stringify({ neighborhood: 'X' }) }, { key: revised.neighborhood, value: JSON.stringify(revised) }]);

  const registry = new Registry();
  const counters = await runRelay(config, { stopWhenIdleMs: 3000, registry });
  expect(counters).toMatchObject({ written: 301, rejected: 2, retries: 0 });
  // What `tipstream relay --metrics-port` serves.
  const text = await registry.metrics();
  expect(text).toMatch(/^tipstream_relay_rows_written_total 301$/m);
  expect(text).toMatch(/^tipstream_relay_rejected_total 2$/m);
  expectTableEquals(await tableRows(config), [revised, ...rows.slice(1)]);

  // A second run of the same group finds every offset committed: nothing to write.
  expect((await runRelay(config, { stopWhenIdleMs: 3000 })).written).toBe(0);
});

it('keeps two relays of one group apart when they read different topics: each table holds its own results only', async () => {
  // Two live runs of the same name on other topics share `<name>-relay`. With the client's default
  // assigner the leader dealt its own topic to both and the other topic to neither.
  const group = uniqueName('relay-shared');
  const first = await setup({ relay: { consumerGroup: group } });
  const second = await setup({ relay: { consumerGroup: group } });
  const firstRows = windowResults(3000);
  const secondRows = windowResults(2000).map((r) => ({ ...r, neighborhood: `Other ${r.neighborhood}` }));
  await produceResults(first.topic, firstRows);
  await produceResults(second.topic, secondRows);
  const [a, b] = await Promise.all([runRelay(first.config, { stopWhenIdleMs: 5000 }), runRelay(second.config, { stopWhenIdleMs: 5000 })]);
  expect({ a: a.written, b: b.written }).toEqual({ a: 3000, b: 2000 });
  expectTableEquals(await tableRows(first.config), firstRows);
  expectTableEquals(await tableRows(second.config), secondRows);
});

it('resumes after being killed mid-way: the final table equals an uninterrupted run', async () => {
  const { config, topic } = await setup({ relay: { consumerGroup: uniqueName('relay-kill'), concurrency: 2 } });
  const rows = windowResults(20_000);
  await produceResults(topic, rows);
  const args = ['bin/tipstream.js', 'relay', '--topic', topic, '--keyspace', config.cassandra.keyspace, '--consumer-group', config.relay.consumerGroup, '--concurrency', '2', '--stop-when-idle', '5 s'];

  // First run: killed (SIGKILL, by its pid) once some rows are in.
  const first = spawn(process.execPath, args, { stdio: 'ignore' });
  const exited = new Promise((resolve) => first.once('exit', resolve));
  const deadline = Date.now() + 120_000;
  let written = 0;
  while (written < 2000 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    written = await rowsSoFar(config);
  }
  process.kill(first.pid!, 'SIGKILL');
  await exited;
  const atKill = (await tableRows(config)).size;
  expect(atKill).toBeGreaterThan(0);
  expect(atKill).toBeLessThan(rows.length);

  // Second run: picks up from the committed offsets and finishes.
  const second = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  second.stdout.on('data', (chunk) => (out += chunk));
  const code = await new Promise((resolve) => second.once('exit', resolve));
  expect(code).toBe(0);
  expect(out).toMatch(/rows written/);
  expectTableEquals(await tableRows(config), rows);
});

/** A proxy in front of Cassandra that can be taken down and brought back. */
const cassandraOutage = () => new TcpProxy({ host: base.cassandra.contactPoints[0]!, port: base.cassandra.port });

it('waits out a Cassandra outage within its retry budget, then writes everything', async () => {
  // The relay reaches Cassandra through a proxy that is down when it starts and comes back 6 s later.
  const proxy = cassandraOutage();
  await proxy.up();
  await proxy.down();
  const { config, topic } = await setup({ cassandra: { port: proxy.port }, relay: { consumerGroup: uniqueName('relay-outage'), retryBudgetSeconds: 120 } });
  const rows = windowResults(3000);
  await produceResults(topic, rows);

  const relay = runRelay(config, { stopWhenIdleMs: 5000 });
  await new Promise((resolve) => setTimeout(resolve, 6000));
  await proxy.up();
  const counters = await relay;
  await proxy.down();
  expect(counters.retries).toBeGreaterThan(0);
  expect(counters.written).toBe(rows.length);
  expectTableEquals(await tableRows(loadConfig({ overrides: { cassandra: { keyspace: config.cassandra.keyspace } } })), rows);
});

it('gives up with a clear error, committing nothing, when Cassandra stays away past the budget', async () => {
  const proxy = cassandraOutage();
  await proxy.up();
  await proxy.down();
  const { config, topic } = await setup({ cassandra: { port: proxy.port }, relay: { consumerGroup: uniqueName('relay-gone'), retryBudgetSeconds: 5 } });
  await produceResults(topic, windowResults(10));
  await expect(runRelay(config, { stopWhenIdleMs: 5000 })).rejects.toThrow(/cannot connect to Cassandra at 127\.0\.0\.1:\d+/);
  // Nothing was committed: a relay that can reach Cassandra writes all ten.
  const direct = loadConfig({ overrides: { kafka: { statsTopic: topic }, cassandra: { keyspace: config.cassandra.keyspace }, relay: { consumerGroup: config.relay.consumerGroup } } });
  expect((await runRelay(direct, { stopWhenIdleMs: 3000 })).written).toBe(10);
});

/** Polls until `check` holds; fails naming `what` after the deadline. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

it('waits out a Kafka outage within its retry budget: the broker killed with -9 mid-run and started again', async () => {
  // A broker of its own (the SASL_SSL stand-in), so killing it leaves the shared stack alone.
  const broker = await startSecureKafka(base, { dir: mkdtempSync(join(tmpdir(), 'tipstream-relay-kafka-')), port: await freePort(), controllerPort: await freePort() });
  try {
    const security = { connectionString: broker.connectionString, caFile: broker.caFile };
    const topic = uniqueName('relay-kafka-outage');
    await createTopics(broker.bootstrapServers, [topic], 2, security);
    const keyspace = `relay_${uniqueName('k').slice(2).replace(/-/g, '')}`;
    keyspaces.push(keyspace);
    const config = loadConfig({
      overrides: {
        kafka: { bootstrapServers: broker.bootstrapServers, connectionString: broker.connectionString, caFile: broker.caFile, statsTopic: topic },
        cassandra: { keyspace },
        relay: { consumerGroup: uniqueName('relay-kafka-outage'), retryBudgetSeconds: 120 },
      },
    });
    const rows = windowResults(400);
    const [before, after] = [rows.slice(0, 200), rows.slice(200)];
    const toMessages = (part: WindowResult[]) => part.map((r) => ({ key: r.neighborhood, value: JSON.stringify(r) }));
    await produce(broker.bootstrapServers, topic, toMessages(before), security);

    const registry = new Registry();
    const retries = async () => Number(/^tipstream_relay_retries_total (\d+)$/m.exec(await registry.metrics())?.[1] ?? 0);
    const relay = runRelay(config, { stopWhenIdleMs: 8_000, registry });
    await until('the first half is written', async () => (await rowsSoFar(config)) === before.length, 60_000);

    process.kill(broker.identity.pid, 'SIGKILL');
    await until('the relay notices Kafka is gone', async () => (await retries()) > 0, 60_000);
    await broker.restart();
    await produce(broker.bootstrapServers, topic, toMessages(after), security);

    const counters = await relay;
    expect(counters.written).toBeGreaterThanOrEqual(rows.length);
    expectTableEquals(await tableRows(config), rows);
  } finally {
    await broker.stop();
  }
}, 300_000);

it('reports no lag once everything is written, behind a transactional (exactly-once) writer too', async () => {
  const { config, topic } = await setup();
  const rows = windowResults(90);
  // Three transactions, as the Flink job's exactly-once sink writes: each commit leaves a marker
  // that takes an offset no record is ever read from.
  const producer = new Producer({ clientId: 'tipstream-test', bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true, transactionalId: uniqueName('relay-tx') });
  try {
    for (let i = 0; i < rows.length; i += 30) {
      const transaction = await producer.beginTransaction();
      await transaction.send({ messages: rows.slice(i, i + 30).map((r) => ({ topic, key: r.neighborhood, value: JSON.stringify(r) })) });
      await transaction.commit();
    }
  } finally {
    await producer.close();
  }
  const registry = new Registry();
  const lag = async () => /^tipstream_relay_lag_records (\d+)$/m.exec(await registry.metrics())?.[1];
  const abort = new AbortController();
  const relay = runRelay(config, { registry, signal: abort.signal });
  try {
    await until('every row is written', async () => (await rowsSoFar(config)) === rows.length, 60_000);
    // The lag is sampled every 5 s; caught up, it must come down to 0 and stay there.
    await until('the lag gauge reads 0', async () => (await lag()) === '0', 30_000);
  } finally {
    abort.abort();
    await relay;
  }
  expectTableEquals(await tableRows(config), rows);
}, 120_000);
