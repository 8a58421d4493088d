// For tests that stop a job between two halves of the DEBS sample (upgrade, resume): sending
// events as the generator would, and a sentinel trip whose watermark closes every window.
import { KafkaTransport, type OutgoingEvent } from '../../generator/index.js';

export async function sendEvents(bootstrapServers: string, topics: { rideTopic: string; fareTopic: string }, batch: OutgoingEvent[]): Promise<void> {
  const transport = new KafkaTransport({ bootstrapServers, rideTopic: topics.rideTopic, fareTopic: topics.fareTopic });
  try {
    for (let i = 0; i < batch.length; i += 1000) await transport.send(batch.slice(i, i + 1000));
  } finally {
    await transport.close();
  }
}

/** A trip a day later: its watermark closes every window of the sample. */
export function sentinel(): OutgoingEvent[] {
  const key = 'SENTINEL_SENTINEL_DEBS';
  const ride = { medallion: 'SENTINEL', hackLicense: 'SENTINEL', vendorId: 'DEBS', pickupTime: '2013-01-02T00:00:00Z', dropoffTime: '2013-01-02T00:01:00Z', rateCode: 1, storeAndForwardFlag: 'N', passengerCount: 1, tripTimeInSeconds: 60, tripDistanceInMiles: 1, pickupLon: -73.98, pickupLat: 40.76, dropoffLon: -73.98, dropoffLat: 40.76 };
  return [
    { stream: 'ride', time: 0, key, value: JSON.stringify(ride) },
    { stream: 'fare', time: 0, key, value: 'SENTINEL,SENTINEL,DEBS,2013-01-02 00:00:00,CSH,5,0,0.5,0,0,5.5' },
  ];
}
