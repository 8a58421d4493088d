// `tipstream results` on the real Cassandra: rows come out in the documented order whatever the
// partitions' order, --limit applies to --json, and a reader that stops early (`| head`) gets a
// quiet exit rather than an EPIPE stack trace.
import { spawnSync } from 'node:child_process';
import cassandra from 'cassandra-driver';
import { loadConfig, projectRoot } from '../../common/config.js';
import { ResultsTable, type WindowResult } from '../../clients/index.js';
import { cassandraOptions } from '../../common/client-options.js';
import { uniqueName } from '../support/kafka.js';

const base = loadConfig();
const keyspace = `results_${uniqueName('t').slice(2).replace(/-/g, '')}`;
const neighborhoods = Array.from({ length: 30 }, (_, i) => `Neighborhood ${String(i).padStart(2, '0')}`);
const windows = 100;

/** Window w (1-based) of neighborhood i; the figures vary so that no order is the table's own. */
function result(i: number, w: number): WindowResult {
  const windowEnd = new Date(Date.UTC(2013, 0, 1, 0, w)).toISOString();
  const rides = 1 + ((i * 13 + w * 7) % 50);
  const miles = i === 3 ? 0 : rides * 2;
  const tip = rides * (0.5 + ((i * 17 + w * 5) % 23) / 10);
  return {
    windowStart: new Date(Date.parse(windowEnd) - 60_000).toISOString(),
    windowEnd,
    neighborhood: neighborhoods[i]!,
    rideCount: rides,
    totalFareAmount: rides * 12,
    totalTipAmount: tip,
    averageFareAmount: 12,
    averageTipAmount: tip / rides,
    totalDistanceMiles: miles,
    averageTipPerMile: miles === 0 ? null : tip / miles,
  };
}

const rows = neighborhoods.flatMap((_, i) => Array.from({ length: windows }, (_, w) => result(i, w + 1)));

beforeAll(async () => {
  const table = await ResultsTable.open(cassandraOptions(loadConfig({ overrides: { cassandra: { keyspace } } })), { createSchema: true });
  try {
    for (let start = 0; start < rows.length; start += 100) await Promise.all(rows.slice(start, start + 100).map((r) => table.upsert(r)));
  } finally {
    await table.close();
  }
});

afterAll(async () => {
  const client = new cassandra.Client({ contactPoints: base.cassandra.contactPoints, localDataCenter: base.cassandra.localDataCenter, protocolOptions: { port: base.cassandra.port } });
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown();
});

function results(...args: string[]) {
  const run = spawnSync(process.execPath, ['bin/tipstream.js', 'results', '--keyspace', keyspace, ...args], { cwd: projectRoot, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

it('prints, as the first JSON row, the best tip per mile of the newest window', () => {
  const newest = Math.max(...rows.map((r) => Date.parse(r.windowEnd)));
  const inNewest = rows.filter((r) => Date.parse(r.windowEnd) === newest);
  const best = Math.max(...inNewest.map((r) => r.averageTipPerMile ?? -Infinity));

  const { code, stdout, stderr } = results('--json', '--limit', '1');
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const printed = JSON.parse(stdout) as WindowResult[];
  expect(printed).toHaveLength(1);
  expect(printed[0]).toEqual(inNewest.find((r) => r.averageTipPerMile === best));
});

it('prints every row with --json and no --limit, in the --sort order', () => {
  const { code, stdout } = results('--json', '--sort', 'rides');
  expect(code).toBe(0);
  const printed = JSON.parse(stdout) as WindowResult[];
  expect(printed).toHaveLength(rows.length);
  const rides = printed.map((r) => r.rideCount);
  expect(rides).toEqual([...rides].sort((a, b) => b - a));
});

it('puts a window without tip per mile after those with one', () => {
  const { stdout } = results('--json', '--limit', String(neighborhoods.length));
  const newestWindow = (JSON.parse(stdout) as WindowResult[]).map((r) => r.averageTipPerMile);
  expect(newestWindow.at(-1)).toBeNull();
  expect(newestWindow.slice(0, -1).every((v) => v !== null)).toBe(true);
});

it('exits quietly when the reader stops early, as `results --json | head` does', () => {
  // About 1 MB of JSON: far past what a pipe holds, so the CLI is still writing when head leaves.
  const run = spawnSync('bash', ['-c', 'set -o pipefail; node bin/tipstream.js results --json --keyspace "$1" | head -n 3 >/dev/null', 'bash', keyspace], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(run.stderr).not.toMatch(/EPIPE|\n\s+at /);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});
