// `npm run bench:relay` (stack up): rows/s the relay moves from a results topic into the local
// Cassandra, and, in the same run, cassandra-driver's executeConcurrent inserting the same rows
// straight into the same table shape with the same concurrency (the anchor). Rounds alternate
// between the two; medians are printed, with the relay's start-up (up to its first commit) apart.
import { cpus, totalmem } from 'node:os';
import cassandra from 'cassandra-driver';
import { loadConfig } from '../common/config.js';
import { clientOptions, ensureTopics, ResultsTable, type WindowResult } from '../clients/index.js';
import { runRelay } from '../orchestrator/index.js';
import { deleteTopics, produce, uniqueName } from '../test/support/kafka.js';
import { cassandraOptions, kafkaTopicOptions } from '../common/client-options.js';

const rowsPerRound = Number(process.env.BENCH_ROWS ?? 30_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const base = loadConfig();
const concurrency = base.relay.concurrency;

function windowResults(count: number, salt: number): WindowResult[] {
  return Array.from({ length: count }, (_, i) => {
    const start = Date.UTC(2013, 0, 1) + (Math.floor(i / 200) + salt * 1_000_000) * 60_000;
    return {
      windowStart: new Date(start).toISOString(), windowEnd: new Date(start + 60_000).toISOString(), neighborhood: `Neighborhood ${i % 200}`,
      rideCount: 3, totalFareAmount: 31.5, totalTipAmount: 3.75, averageFareAmount: 10.5, averageTipAmount: 1.25, totalDistanceMiles: 6, averageTipPerMile: 0.625,
    };
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const keyspace = `bench_relay_${Date.now()}`;
const config = loadConfig({ overrides: { cassandra: { keyspace } } });
const topics: string[] = [];
const relayRates: number[] = [];
const steadyRates: number[] = [];
const anchorRates: number[] = [];

console.log(`machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${rowsPerRound.toLocaleString('en-US')} rows per round, ${rounds} rounds, concurrency ${concurrency}`);
await (await ResultsTable.open(cassandraOptions(config), { createSchema: true })).close();
const client = new cassandra.Client(clientOptions(cassandraOptions(config)));
await client.connect();
const insert = `INSERT INTO ${keyspace}.neighborhoodstats (neighborhood, window_end, window_start, number_of_rides, total_fare_amount, total_tip_amount, average_fare_amount, average_tip_amount, total_distance_miles, average_tip_per_mile) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
try {
  for (let round = 0; round < rounds; round++) {
    // The relay: rows already in the topic (as a finished job leaves them), timed from start to the last commit.
    const rows = windowResults(rowsPerRound, round * 2);
    const topic = uniqueName('bench-relay');
    topics.push(topic);
    await ensureTopics(kafkaTopicOptions(base), [topic]);
    for (let i = 0; i < rows.length; i += 5000) await produce(base.kafka.bootstrapServers, topic, rows.slice(i, i + 5000).map((r) => ({ key: r.neighborhood, value: JSON.stringify(r) })));
    const started = performance.now();
    let lastCommit = started;
    let firstCommit: { at: number; written: number } | undefined;
    const counters = await runRelay(loadConfig({ overrides: { cassandra: { keyspace }, kafka: { statsTopic: topic }, relay: { consumerGroup: uniqueName('bench') } } }), {
      stopWhenIdleMs: 3000,
      onBatch: ({ written }) => {
        lastCommit = performance.now();
        firstCommit ??= { at: lastCommit, written };
      },
    });
    const relayRate = counters.written / ((lastCommit - started) / 1000);
    relayRates.push(relayRate);
    // Where the time goes: start-up (Cassandra session and schema, joining the consumer group,
    // the first fetch) up to the first batch's commit, then the rows after it.
    const startupSeconds = (firstCommit!.at - started) / 1000;
    const steadyRate = (counters.written - firstCommit!.written) / ((lastCommit - firstCommit!.at) / 1000);
    steadyRates.push(steadyRate);

    // The anchor: the same number of rows, straight into Cassandra.
    const anchorRows = windowResults(rowsPerRound, round * 2 + 1).map((r) => [
      r.neighborhood, new Date(r.windowEnd), new Date(r.windowStart), cassandra.types.Long.fromNumber(r.rideCount),
      r.totalFareAmount, r.totalTipAmount, r.averageFareAmount, r.averageTipAmount, r.totalDistanceMiles, r.averageTipPerMile,
    ]);
    const anchorStarted = performance.now();
    await cassandra.concurrent.executeConcurrent(client, insert, anchorRows, { concurrencyLevel: concurrency });
    const anchorRate = anchorRows.length / ((performance.now() - anchorStarted) / 1000);
    anchorRates.push(anchorRate);
    console.log(`round ${round + 1}: relay ${Math.round(relayRate).toLocaleString('en-US')} rows/s (${counters.written} rows, ${counters.commits} commits; first commit after ${startupSeconds.toFixed(2)} s with ${firstCommit!.written} rows, then ${Math.round(steadyRate).toLocaleString('en-US')} rows/s), executeConcurrent ${Math.round(anchorRate).toLocaleString('en-US')} rows/s`);
  }
  const r = median(relayRates);
  const a = median(anchorRates);
  const steady = median(steadyRates);
  console.log(`median: relay ${Math.round(r).toLocaleString('en-US')} rows/s, executeConcurrent ${Math.round(a).toLocaleString('en-US')} rows/s, ratio ${(r / a * 100).toFixed(1)}%; after its first commit the relay runs at ${Math.round(steady).toLocaleString('en-US')} rows/s, ${(steady / a * 100).toFixed(1)}% of executeConcurrent`);
} finally {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown();
  await deleteTopics(base.kafka.bootstrapServers, topics).catch(() => undefined);
}
