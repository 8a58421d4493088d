// Flink's HTTP lookup connector enriching rows through the real udf-service, with the same
// lookup table the job declares in sql/03-lookup-and-sinks.sql.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { samples } from '../support/data.js';
import { SqlGatewayClient, type SqlGatewaySession } from '../../clients/index.js';
import { startUdfService } from '../../udf-service/index.js';
import { sqlGatewayOptions } from '../../common/client-options.js';

const config = loadConfig();
let service: Awaited<ReturnType<typeof startUdfService>>;
let session: SqlGatewaySession;

beforeAll(async () => {
  service = await startUdfService({ boundaries: samples.zillow, nameField: 'Name', port: 0 });
  session = await new SqlGatewayClient(sqlGatewayOptions(config)).openSession({ sessionName: 'udf-lookup-test' });
});
afterAll(async () => {
  await session?.close();
  await service?.close();
});

it('enriches rides with pickup and drop-off neighborhoods through the HTTP lookup connector', async () => {
  // The lookup table exactly as the job declares it, pointed at this test's udf-service.
  const ddl = readFileSync(join('sql', '03-lookup-and-sinks.sql'), 'utf8').split(';')[0]!
    .replace(/--[^\n]*\n/g, '')
    .replace('CREATE TEMPORARY TABLE neighborhoods', 'CREATE TEMPORARY TABLE test_neighborhoods')
    .replace('${UDF_LOOKUP_URL}', `'${service.url}/lookup'`)
    .replace('${UDF_REQUEST_TIMEOUT}', "'10'");
  await session.execute(ddl);
  await session.execute(`CREATE TEMPORARY VIEW rides AS SELECT id, pLon, pLat, dLon, dLat, PROCTIME() AS procTime FROM (VALUES
      ('reference', '-73.97912', '40.7623177', '-74.0', '40.72'),
      ('nowhere', '0', '0', '-73.97912', '40.7623177'),
      ('second', '-73.9855', '40.758', '-73.97912', '40.7623177')
    ) AS t(id, pLon, pLat, dLon, dLat)`);
  const rows = await session.query(`SELECT r.id, n.pickupNeighborhood, n.dropoffNeighborhood
    FROM rides AS r JOIN test_neighborhoods FOR SYSTEM_TIME AS OF r.procTime AS n
      ON n.pickupLon = r.pLon AND n.pickupLat = r.pLat AND n.dropoffLon = r.dLon AND n.dropoffLat = r.dLat`);
  const expected = (lon: string, lat: string) => service.index.exactLookup(Number(lon), Number(lat));
  expect(rows.map((r) => r.join('|')).sort()).toEqual([
    `nowhere|Unknown|Midtown`,
    `reference|Midtown|${expected('-74.0', '40.72')}`,
    `second|${expected('-73.9855', '40.758')}|Midtown`,
  ].sort());
  expect(expected('-74.0', '40.72')).toBe('SoHo');
});
