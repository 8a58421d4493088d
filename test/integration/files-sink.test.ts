// The relay with both sinks on the real Kafka and Cassandra: a relay killed with -9 mid-run and
// started again leaves every window result in the CSV files exactly once (read back by Python's
// csv module, not by tipstream), and in Cassandra.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { loadConfig, type ResolvedConfig } from '../../common/config.js';
import { pollUntil } from '../../common/retry.js';
import { ResultsTable, type WindowResult } from '../../clients/index.js';
import { cassandraOptions } from '../../common/client-options.js';
import { runRelay } from '../../orchestrator/index.js';
import { createTopics, deleteTopics, produce, uniqueName } from '../support/kafka.js';
import { windowResults as relayTestResults } from '../support/window-results.js';
import { readCsvWithPython } from '../support/python-csv.js';

const base = loadConfig();
const bootstrap = base.kafka.bootstrapServers;
const topic = uniqueName('files-sink-results');
const keyspace = `files_${uniqueName('k').slice(2).replace(/-/g, '')}`;
const filesDir = join(mkdtempSync(join(tmpdir(), 'tipstream-files-sink-')), 'results');

afterAll(async () => {
  await deleteTopics(bootstrap, [topic]).catch(() => undefined);
  const client = new cassandra.Client({ contactPoints: base.cassandra.contactPoints, localDataCenter: base.cassandra.localDataCenter, protocolOptions: { port: base.cassandra.port } });
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown();
  rmSync(join(filesDir, '..'), { recursive: true, force: true });
});

/** The relay tests' window results, every fifth with a name that needs quoting in CSV. */
function windowResults(count: number): WindowResult[] {
  return relayTestResults(count).map((r, i) => (i % 5 === 0 ? { ...r, neighborhood: `${r.neighborhood}, "the ${i % 25}th"` } : r));
}

const key = (r: Pick<WindowResult, 'neighborhood' | 'windowEnd'>) => `${r.neighborhood}|${new Date(r.windowEnd).toISOString()}`;

/** The finished files only: a relay killed mid-write may leave a hidden temporary file, which no `*.csv` reader sees. */
function csvFiles(): string[] {
  return readdirSync(filesDir)
    .filter((name) => name.endsWith('.csv') && !name.startsWith('.'))
    .map((name) => join(filesDir, name));
}

/** Every row of every file, as Python's csv module reads them, turned back into window results. */
function rowsInFiles(): WindowResult[] {
  const number = (text: string | undefined) => Number(text);
  return Object.values(readCsvWithPython(csvFiles())).flatMap((file) => {
    expect(file.widths).toEqual([10]);
    return file.rows.map((r) => ({
      windowStart: r.window_start!,
      windowEnd: r.window_end!,
      neighborhood: r.neighborhood!,
      rideCount: number(r.number_of_rides),
      totalFareAmount: number(r.total_fare_amount),
      totalTipAmount: number(r.total_tip_amount),
      averageFareAmount: number(r.average_fare_amount),
      averageTipAmount: number(r.average_tip_amount),
      totalDistanceMiles: number(r.total_distance_miles),
      averageTipPerMile: r.average_tip_per_mile === '' ? null : number(r.average_tip_per_mile),
    }));
  });
}

async function tableRows(config: ResolvedConfig): Promise<WindowResult[]> {
  const table = await ResultsTable.open(cassandraOptions(config), { createSchema: false });
  return table.read().finally(() => table.close());
}

it('holds every window result exactly once in the files after a relay killed with -9 mid-run is started again', async () => {
  await createTopics(bootstrap, [topic], 4);
  const rows = windowResults(20_000);
  for (let i = 0; i < rows.length; i += 5000) await produce(bootstrap, topic, rows.slice(i, i + 5000).map((r) => ({ key: r.neighborhood, value: JSON.stringify(r) })));
  const group = uniqueName('files-sink-relay');
  const args = ['bin/tipstream.js', 'relay', '--topic', topic, '--keyspace', keyspace, '--consumer-group', group, '--sinks', 'cassandra,files', '--files-dir', filesDir, '--concurrency', '2', '--stop-when-idle', '5 s'];

  // First run: killed (SIGKILL, by its pid) once some batches are in the files, so some are written and not committed.
  const first = spawn(process.execPath, args, { stdio: 'ignore' });
  const exited = new Promise((resolve) => first.once('exit', resolve));
  await pollUntil('the first relay has written some files', async () => csvFiles().length >= 2, { timeoutMs: 120_000, intervalMs: 250 });
  process.kill(first.pid!, 'SIGKILL');
  await exited;
  const atKill = rowsInFiles().length;
  expect(atKill).toBeGreaterThan(0);
  expect(atKill).toBeLessThan(rows.length);

  // Second run, in this process: reads on from the committed offsets into both sinks.
  const config = loadConfig({ overrides: { kafka: { statsTopic: topic }, cassandra: { keyspace }, relay: { consumerGroup: group, sinks: ['cassandra', 'files'], filesDir } } });
  const counters = await runRelay(config, { stopWhenIdleMs: 5000 });
  expect(counters.written).toBeGreaterThan(0);

  // No row twice across the files, none missing, each equal to what was produced.
  const inFiles = rowsInFiles();
  const byKey = new Map(inFiles.map((r) => [key(r), r]));
  expect(byKey.size).toBe(inFiles.length);
  expect(inFiles).toHaveLength(rows.length);
  for (const want of rows) expect(byKey.get(key(want))).toEqual(want);
  // Cassandra has the same rows.
  const stored = await tableRows(config);
  expect(new Set(stored.map(key))).toEqual(new Set(rows.map(key)));

  // A third run finds every offset committed: nothing more is written anywhere.
  const filesBefore = csvFiles().sort();
  expect((await runRelay(config, { stopWhenIdleMs: 3000 })).written).toBe(0);
  expect(csvFiles().sort()).toEqual(filesBefore);
}, 300_000);
