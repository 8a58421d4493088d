// The Cosmos DB profile's TLS + password path on a real server: a second local Cassandra with
// client encryption (a keytool certificate) and PasswordAuthenticator, as Cosmos DB asks for.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { ensureTopics, ResultsTable, type WindowResult } from '../../clients/index.js';
import { cassandraOptions, kafkaTopicOptions } from '../../common/client-options.js';
import { runRelay } from '../../orchestrator/index.js';
import { startSecureCassandra, type SecureCassandra } from '../support/secure-services.js';
import { deleteTopics, produce, uniqueName } from '../support/kafka.js';
import { freePort } from '../support/free-port.js';

const base = loadConfig();
let secure: SecureCassandra;
const topic = uniqueName('secure-results');

beforeAll(async () => {
  secure = await startSecureCassandra(base, { dir: mkdtempSync(join(tmpdir(), 'tipstream-secure-cassandra-')), port: await freePort(), storagePort: await freePort() });
});
afterAll(async () => {
  await secure?.stop();
  await deleteTopics(base.kafka.bootstrapServers, [topic]).catch(() => undefined);
});

const cosmosLike = (password: string) =>
  loadConfig({
    overrides: {
      kafka: { statsTopic: topic },
      cassandra: { profile: 'cosmos', port: secure.port, caFile: secure.caFile, username: secure.username, password, keyspace: 'secure_relay', localDataCenter: 'datacenter1' },
      relay: { consumerGroup: uniqueName('secure-relay'), retryBudgetSeconds: 5 },
    },
  });

it('relays over TLS with a password, as to Cosmos DB, and reads the rows back', async () => {
  const rows: WindowResult[] = Array.from({ length: 50 }, (_, i) => ({
    windowStart: new Date(Date.UTC(2013, 0, 1, 0, i)).toISOString(), windowEnd: new Date(Date.UTC(2013, 0, 1, 0, i + 1)).toISOString(),
    neighborhood: i % 2 ? 'Midtown' : 'SoHo', rideCount: i + 1, totalFareAmount: 10 * (i + 1), totalTipAmount: i + 1,
    averageFareAmount: 10, averageTipAmount: 1, totalDistanceMiles: 2 * (i + 1), averageTipPerMile: 0.5,
  }));
  await ensureTopics(kafkaTopicOptions(base), [topic]);
  await produce(base.kafka.bootstrapServers, topic, rows.map((r) => ({ key: r.neighborhood, value: JSON.stringify(r) })));

  const config = cosmosLike(secure.password);
  expect(config.cassandra).toMatchObject({ tls: true, port: secure.port });
  expect((await runRelay(config, { stopWhenIdleMs: 3000 })).written).toBe(50);
  const table = await ResultsTable.open(cassandraOptions(config), { createSchema: false });
  try {
    expect(table.target).toBe(`Cosmos DB for Apache Cassandra at 127.0.0.1:${secure.port} (TLS)`);
    const back = await table.read({ neighborhood: 'SoHo' });
    expect(back).toHaveLength(25);
    expect(back.find((r) => r.windowEnd === rows[0]!.windowEnd)).toEqual(rows[0]);
  } finally {
    await table.close();
  }
});

it('names the problem, never the password, when the password is wrong', async () => {
  const wrong = 'not-the-password-123';
  const error = await ResultsTable.open(cassandraOptions(cosmosLike(wrong)), { createSchema: false }).then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  expect(error?.message).toMatch(/cannot connect to Cosmos DB for Apache Cassandra at 127\.0\.0\.1:\d+ \(TLS\): .*(authenticat|credentials|password)/i);
  expect(error?.message).not.toContain(wrong);
});

it('refuses a plain-text connection to the TLS port with a clear error', async () => {
  const plain = loadConfig({ overrides: { cassandra: { port: secure.port, username: secure.username, password: secure.password, keyspace: 'secure_relay' } } });
  await expect(ResultsTable.open(cassandraOptions(plain), { createSchema: false })).rejects.toThrow(/cannot connect to Cassandra at 127\.0\.0\.1:\d+/);
});
