// The Flink job deployed through the orchestrator on the real stack, with a small hand-made
// input whose answer is known: parsing (both reference formats), dead letters, the interval
// join, the lookup (a stand-in HTTP server here) and the tumbling windows.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { deployJob } from '../../orchestrator/index.js';
import { ensureTopics, FlinkRestClient } from '../../clients/index.js';
import { deleteTopics, produce, readMessages, uniqueName } from '../support/kafka.js';
import { flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';

let server: Server;
let lookupUrl: string;

beforeAll(async () => {
  // Stand-in for the udf-service: north of 40.75 is "North", south of it "South".
  server = createServer((req, res) => {
    const query = Object.fromEntries(new URL(req.url ?? '/', 'http://localhost').searchParams);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ...query, pickupNeighborhood: Number(query.pickupLat) > 40.75 ? 'North' : 'South', dropoffNeighborhood: 'Elsewhere' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  lookupUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lookup`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function ride(medallion: string, pickupTime: string, pickupLat: number, miles: number) {
  const value = {
    medallion, hackLicense: 'H1', vendorId: 'VTS', pickupTime, dropoffTime: pickupTime, rateCode: 1, storeAndForwardFlag: 'N',
    passengerCount: 1, tripTimeInSeconds: 300, tripDistanceInMiles: miles, pickupLon: -73.98, pickupLat, dropoffLon: -73.99, dropoffLat: 40.7,
  };
  return { key: `${medallion}_H1_VTS`, value: JSON.stringify(value) };
}

function fare(medallion: string, pickupTime: string, fareAmount: number, tipAmount: number) {
  return { key: `${medallion}_H1_VTS`, value: `${medallion},H1,VTS,${pickupTime},CRD,${fareAmount},0.5,0.5,${tipAmount},0,${fareAmount + tipAmount + 1}` };
}

it('joins, enriches and windows good trips, and dead-letters every malformed or unjoined record with its reason', async () => {
  const config = loadConfig({
    overrides: { stateDir: mkdtempSync(join(tmpdir(), 'tipstream-job-')), job: { udfLookupUrl: lookupUrl, windowSize: '1 hour', consumerGroup: uniqueName('job-test') } },
  });
  const topics = {
    rideTopic: uniqueName('rides'),
    fareTopic: uniqueName('fares'),
    deadLetterTopic: uniqueName('dead-letter'),
    statsTopic: uniqueName('stats'),
  };
  const bootstrap = config.kafka.bootstrapServers;
  try {
    // Topics first (the job creates missing ones), then the data, then a bounded job over it.
    await ensureTopics(kafkaTopicOptions(config), Object.values(topics));
    await produce(bootstrap, topics.rideTopic, [
      ride('M1', '2013-01-01T00:10:00Z', 40.76, 2),
      ride('M2', '2013-01-01T00:20:00.000Z', 40.76, 3),
      ride('M3', '2013-01-01T01:20:00+00:00', 40.7, 1), // the reference generator's offset form
      ride('M4', '2013-01-01T01:30:00Z', 40.7, 1), // no fare: a dead letter, not a row
      // The reference generator's numeric identifiers.
      { key: '2013000001_2013000002_VTS', value: JSON.stringify({ ...JSON.parse(ride('M0', '2013-01-01T01:25:00Z', 40.7, 1).value), medallion: 2013000001, hackLicense: 2013000002 }) },
      { key: 'bad1', value: '{"medallion": "M9", broken' },
      { key: 'bad2', value: JSON.stringify({ medallion: 'M8', hackLicense: 'H1', vendorId: 'VTS', pickupTime: 'yesterday' }) },
      { key: 'bad5', value: JSON.stringify({ ...JSON.parse(ride('M10', '2013-01-01T00:40:00Z', 40.7, 1).value), medallion: '' }) },
      { key: 'bad6', value: JSON.stringify({ ...JSON.parse(ride('M11', '2013-01-01T00:40:00Z', 40.7, 1).value), pickupLon: 'west' }) },
    ]);
    await produce(bootstrap, topics.fareTopic, [
      fare('M1', '2013-01-01 00:10:00', 10, 2),
      fare('M2', '2013-01-01 00:20:00', 20, 3),
      // The reference generator's form: the CSV header line, a CRLF, then the record.
      { key: 'M3_H1_VTS', value: 'medallion, hack_license, vendor_id, pickup_datetime, payment_type, fare_amount, surcharge, mta_tax, tip_amount, tolls_amount, total_amount\r\nM3,H1,VTS,2013-01-01 01:20:00,CSH,5,0,0.5,0,0,5.5' },
      fare('M5', '2013-01-01 01:40:00', 7, 1), // no ride: a dead letter, not a row
      { key: 'bad3', value: 'M7,H1,VTS' },
      { key: 'bad4', value: 'M6,H1,VTS,2013-01-01 00:30:00,CRD,ten,0.5,0.5,1,0,12' },
      { key: '2013000001_2013000002_VTS', value: '2013000001,2013000002,VTS,2013-01-01 01:25:00,CRD,5,0.5,0.5,1,0,7' },
      { key: 'bad7', value: ' ,H1,VTS,2013-01-01 00:30:00,CRD,10,0.5,0.5,1,0,12' },
      { key: 'bad8', value: 'M12,H1,VTS,2013-13-45 99:99:99,CRD,10,0.5,0.5,1,0,12' },
    ]);

    const deployment = await deployJob(config, { bounded: true, topics, jobName: 'job-test' }, createProgress(false));
    await new FlinkRestClient(flinkRestOptions(config)).waitForState(deployment.jobId, ['FINISHED'], 180_000);

    const stats = (await readMessages(bootstrap, topics.statsTopic, 2)).map((m) => JSON.parse(m.value) as Record<string, unknown>);
    expect(stats.sort((a, b) => String(a.windowStart).localeCompare(String(b.windowStart)))).toEqual([
      {
        windowStart: '2013-01-01T00:00:00Z', windowEnd: '2013-01-01T01:00:00Z', neighborhood: 'North', rideCount: 2,
        totalFareAmount: 30, totalTipAmount: 5, averageFareAmount: 15, averageTipAmount: 2.5, totalDistanceMiles: 5, averageTipPerMile: 1,
      },
      {
        windowStart: '2013-01-01T01:00:00Z', windowEnd: '2013-01-01T02:00:00Z', neighborhood: 'South', rideCount: 2,
        totalFareAmount: 10, totalTipAmount: 1, averageFareAmount: 5, averageTipAmount: 0.5, totalDistanceMiles: 2, averageTipPerMile: 0.5,
      },
    ]);

    const dead = (await readMessages(bootstrap, topics.deadLetterTopic, 10, 60_000, 3_000)).map(
      (m) => JSON.parse(m.value) as { stream: string; reason: string; payload: string | null; sourcePartition: number; sourceOffset: number },
    );
    expect(dead.map((d) => `${d.stream}: ${d.reason}`).sort()).toEqual([
      'fare: fare does not have 11 comma-separated columns',
      'fare: fare fareAmount is not a number',
      'fare: fare has no medallion',
      'fare: fare pickupTime is not yyyy-MM-dd HH:mm:ss',
      'fare: no ride met in the join',
      'ride: no fare met in the join',
      'ride: ride has no medallion',
      'ride: ride is not a JSON object',
      'ride: ride pickupLon is not a number',
      'ride: ride pickupTime is not an ISO-8601 UTC time',
    ]);
    // Each dead letter points at its record by partition and offset of its topic. The parse's
    // carry that record's payload; the join's carry none (it keeps no payloads in its state), and
    // the record they point at is the one that met no partner: M4's ride, M5's fare.
    const sources = {
      ride: await readMessages(bootstrap, topics.rideTopic, 9),
      fare: await readMessages(bootstrap, topics.fareTopic, 9),
    };
    const unjoined: string[] = [];
    for (const d of dead) {
      const source = sources[d.stream as 'ride' | 'fare'].find((m) => m.partition === d.sourcePartition && Number(m.offset) === d.sourceOffset);
      expect(source).toBeDefined();
      if (d.reason.endsWith('met in the join')) {
        expect(d.payload).toBeNull();
        unjoined.push(`${d.stream} ${source!.key}`);
      } else {
        expect(d.payload).toBe(source!.value);
      }
    }
    expect(unjoined.sort()).toEqual(['fare M5_H1_VTS', 'ride M4_H1_VTS']);
  } finally {
    await deleteTopics(bootstrap, Object.values(topics)).catch(() => undefined);
  }
});
