// Reading results whose frames come in pieces, as over a real network (the containers' one did):
// the results table is read through a proxy that splits every reply of Cassandra into 1,000-byte
// writes. Every row must come back. Under jest's own environment this failed with "RangeError: The
// value of "offset" is out of range" (test/support/node-environment.cjs says why); plain Node
// never did.
import { loadConfig } from '../../common/config.js';
import { ResultsTable } from '../../clients/index.js';
import { cassandraOptions } from '../../common/client-options.js';
import type { WindowResult } from '../../clients/index.js';
import { uniqueName } from '../support/kafka.js';
import { TcpProxy } from '../support/tcp-proxy.js';

it('reads every row back when Cassandra\'s replies arrive in small pieces', async () => {
  const base = loadConfig();
  const proxy = new TcpProxy({ host: base.cassandra.contactPoints[0]!, port: base.cassandra.port }, { splitRepliesAt: 1000 });
  await proxy.up();
  const config = loadConfig({ overrides: { cassandra: { port: proxy.port, keyspace: uniqueName('split').replace(/-/g, '_') } } });
  const table = await ResultsTable.open(cassandraOptions(config), { createSchema: true });
  try {
    const rows: WindowResult[] = Array.from({ length: 1200 }, (_, i) => ({
      windowStart: new Date(Date.UTC(2013, 0, 1, 0, i % 60)).toISOString(),
      windowEnd: new Date(Date.UTC(2013, 0, 1, 0, (i % 60) + 1)).toISOString(),
      neighborhood: `Neighborhood ${Math.floor(i / 60)}`,
      rideCount: i + 1,
      totalFareAmount: i * 1.5,
      totalTipAmount: i * 0.25,
      averageFareAmount: 1.5,
      averageTipAmount: 0.25,
      totalDistanceMiles: i * 2.5,
      averageTipPerMile: i % 7 === 0 ? null : 0.1,
    }));
    for (let i = 0; i < rows.length; i += 100) await Promise.all(rows.slice(i, i + 100).map((r) => table.upsert(r)));
    const read = await table.read();
    expect(read).toHaveLength(rows.length);
    expect(new Set(read.map((r) => r.rideCount))).toEqual(new Set(rows.map((r) => r.rideCount)));
  } finally {
    await table.close();
    await proxy.down();
  }
});
