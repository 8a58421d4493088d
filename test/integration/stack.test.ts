// The local stack, for real: Kafka, Flink through the SQL Gateway (Kafka raw in/out, and the HTTP
// lookup connector), and Cassandra.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import cassandra from 'cassandra-driver';
import { loadConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { FlinkRestClient, SqlGatewayClient, type SqlGatewaySession } from '../../clients/index.js';
import { isCacheWarm, resolveArtifacts } from '../../stack/index.js';
import { createTopics, deleteTopics, produce, readMessages, uniqueName } from '../support/kafka.js';
import { flinkRestOptions, sqlGatewayOptions } from '../../common/client-options.js';

const config = loadConfig();
const bootstrap = config.kafka.bootstrapServers;

describe('the artifact cache', () => {
  it('is complete once the stack is up, and resolving again runs neither Maven nor pip', async () => {
    expect(await isCacheWarm(config)).toBe(true);
    // With no PATH, any attempt to run mvn or python3 would fail: a warm cache must not try.
    const path = process.env.PATH;
    process.env.PATH = '';
    try {
      const artifacts = await resolveArtifacts(config, createProgress(false));
      expect(artifacts.flinkHome).toContain(config.cacheDir);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('Kafka', () => {
  it('round-trips keyed messages through a topic with several partitions', async () => {
    const topic = uniqueName('stack-roundtrip');
    await createTopics(bootstrap, [topic], 3);
    try {
      const sent = Array.from({ length: 30 }, (_, i) => ({ key: `key-${i % 7}`, value: `value-${i}` }));
      await produce(bootstrap, topic, sent);
      const received = await readMessages(bootstrap, topic, sent.length);
      expect(received.map((m) => m.value).sort()).toEqual(sent.map((m) => m.value).sort());
      // Kafka's default partitioner is deterministic per key.
      const partitionsOfKey = new Map<string, Set<number>>();
      for (const m of received) partitionsOfKey.set(m.key, (partitionsOfKey.get(m.key) ?? new Set()).add(m.partition));
      for (const partitions of partitionsOfKey.values()) expect(partitions.size).toBe(1);
    } finally {
      await deleteTopics(bootstrap, [topic]);
    }
  });
});

describe('Flink through the SQL Gateway', () => {
  let session: SqlGatewaySession;

  beforeAll(async () => {
    session = await new SqlGatewayClient(sqlGatewayOptions(config)).openSession({ sessionName: 'stack-test' });
  });
  afterAll(async () => {
    await session?.close();
  });

  it('runs a bounded job that reads a topic as raw and writes transformed rows to another topic', async () => {
    const input = uniqueName('stack-raw-in');
    const output = uniqueName('stack-raw-out');
    await createTopics(bootstrap, [input, output], 2);
    try {
      const lines = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
      await produce(bootstrap, input, lines.map((value) => ({ value })));
      await session.execute(`CREATE TEMPORARY TABLE raw_in (line STRING) WITH (
        'connector' = 'kafka', 'topic' = '${input}', 'properties.bootstrap.servers' = '${bootstrap}',
        'properties.group.id' = '${input}', 'scan.startup.mode' = 'earliest-offset',
        'scan.bounded.mode' = 'latest-offset', 'format' = 'raw')`);
      await session.execute(`CREATE TEMPORARY TABLE raw_out (line STRING) WITH (
        'connector' = 'kafka', 'topic' = '${output}', 'properties.bootstrap.servers' = '${bootstrap}', 'format' = 'raw')`);
      const insert = await session.execute(`INSERT INTO raw_out SELECT CONCAT(UPPER(line), ':', CAST(CHAR_LENGTH(line) AS STRING)) FROM raw_in`);
      expect(insert.jobId).toMatch(/^[0-9a-f]{32}$/);
      await new FlinkRestClient(flinkRestOptions(config)).waitForState(insert.jobId!, ['FINISHED'], 120_000);

      const received = await readMessages(bootstrap, output, lines.length);
      expect(received.map((m) => m.value).sort()).toEqual(lines.map((l) => `${l.toUpperCase()}:${l.length}`).sort());
    } finally {
      await deleteTopics(bootstrap, [input, output]);
    }
  });

  it('enriches rows with a lookup join through the HTTP lookup connector', async () => {
    const requests: string[] = [];
    const server: Server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const id = new URL(req.url ?? '/', 'http://localhost').searchParams.get('id') ?? '';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id, label: `label-of-${id}`, size: id.length }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const ids = ['a1', 'b22', 'c333'];
      await session.execute(`CREATE TEMPORARY VIEW probe AS SELECT id, PROCTIME() AS proc FROM (VALUES ${ids.map((id) => `('${id}')`).join(', ')}) AS t(id)`);
      await session.execute(`CREATE TEMPORARY TABLE labels (id STRING, label STRING, size INT) WITH (
        'connector' = 'rest-lookup', 'format' = 'json', 'url' = 'http://127.0.0.1:${port}/label', 'asyncPolling' = 'true')`);
      const rows = await session.query(`SELECT p.id, l.label, l.size FROM probe AS p JOIN labels FOR SYSTEM_TIME AS OF p.proc AS l ON p.id = l.id`);
      expect(rows.map((r) => r.join('|')).sort()).toEqual(ids.map((id) => `${id}|label-of-${id}|${id.length}`).sort());
      expect(requests.sort()).toEqual(ids.map((id) => `/label?id=${id}`).sort());
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Cassandra', () => {
  it('creates a keyspace and table, inserts and selects rows over CQL', async () => {
    const keyspace = uniqueName('stack_test').replace(/-/g, '_');
    const client = new cassandra.Client({ contactPoints: [`${config.host}:${config.cassandra.port}`], localDataCenter: config.cassandra.localDataCenter });
    await client.connect();
    try {
      await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
      await client.execute(`CREATE TABLE ${keyspace}.stats (neighborhood text, window_end timestamp, rides bigint, PRIMARY KEY (neighborhood, window_end))`);
      const windowEnd = new Date('2013-01-01T01:00:00Z');
      const insert = `INSERT INTO ${keyspace}.stats (neighborhood, window_end, rides) VALUES (?, ?, ?)`;
      await client.execute(insert, ['Midtown', windowEnd, cassandra.types.Long.fromNumber(42)], { prepare: true });
      await client.execute(insert, ['Midtown', windowEnd, cassandra.types.Long.fromNumber(43)], { prepare: true });
      const result = await client.execute(`SELECT neighborhood, window_end, rides FROM ${keyspace}.stats WHERE neighborhood = ?`, ['Midtown'], { prepare: true });
      expect(result.rows).toHaveLength(1);
      expect(result.rows[0]!.get('rides').toNumber()).toBe(43);
      expect((result.rows[0]!.get('window_end') as Date).toISOString()).toBe(windowEnd.toISOString());
    } finally {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
      await client.shutdown();
    }
  });
});
