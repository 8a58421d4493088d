// Heartbeats keep event time moving while no trips arrive. A live job closes a window only when
// the watermark of every partition of both hubs has passed its end (plus the delay), and a quiet
// spell (night, an upstream outage) would otherwise hold back every result behind it. So, once a
// second by default, every partition of the ride and the fare hub gets one heartbeat whose pickup
// time is the wall clock. The job knows them by their medallion and drops them before the join
// (sql/), so they are never a trip, never malformed, never counted.
//
// Only for data whose event times follow the wall clock (live mode, a real fleet). With a replay of
// old trips, a heartbeat at "now" would carry the watermark past all of them: they would be late;
// replay-heartbeats.ts holds a replay's heartbeats at its own clock instead.
import { readFileSync } from 'node:fs';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { InfrastructureError } from '../common/errors.js';
import { within } from '../common/retry.js';
import { childLogger } from '../common/logger.js';
import { isoTime, tripFileTime } from './records.js';
import { kafkaConnection } from '../clients/index.js';

const log = childLogger('heartbeat');

/** The medallion of every heartbeat; the job drops rows that carry it. */
export const HEARTBEAT_MEDALLION = 'tipstream-heartbeat';

/** A ride that passes every check of the job; its hack license differs from the fare's, so the two never join. */
export function heartbeatRide(time: number): string {
  return JSON.stringify({
    medallion: HEARTBEAT_MEDALLION,
    hackLicense: 'ride',
    vendorId: 'HB',
    pickupTime: isoTime(time),
    dropoffTime: isoTime(time),
    rateCode: 0,
    storeAndForwardFlag: 'N',
    passengerCount: 0,
    tripTimeInSeconds: 0,
    tripDistanceInMiles: 0,
    pickupLon: 0,
    pickupLat: 0,
    dropoffLon: 0,
    dropoffLat: 0,
  });
}

export function heartbeatFare(time: number): string {
  return [HEARTBEAT_MEDALLION, 'fare', 'HB', tripFileTime(time), 'CSH', 0, 0, 0, 0, 0, 0].join(',');
}

export interface HeartbeatOptions {
  bootstrapServers: string;
  rideTopic: string;
  fareTopic: string;
  intervalMs: number;
  /** SASL_SSL / PLAIN with user $ConnectionString (Event Hubs' Kafka endpoint). */
  connectionString?: string;
  caFile?: string;
  clock?: () => number;
}

/** Sends a heartbeat to every partition of both topics every `intervalMs`, until stopped. */
export class Heartbeat {
  private readonly producer: Producer<string, string, string, string>;
  private timer?: NodeJS.Timeout;
  private partitions?: { rides: number; fares: number };
  private sending?: Promise<void>;
  /** Rounds sent (a round is one heartbeat in every partition of both topics). */
  rounds = 0;
  /** Rounds that failed (Kafka away); the next round tries again. */
  failures = 0;

  constructor(private readonly options: HeartbeatOptions) {
    this.producer = new Producer({
      clientId: 'tipstream-heartbeat',
      serializers: stringSerializers,
      ...kafkaConnection(options),
    });
  }

  /** One round now: a heartbeat into every partition of the ride and the fare topic, at `time` (default: the clock). */
  async beat(time = (this.options.clock ?? Date.now)()): Promise<void> {
    try {
      this.partitions ??= await this.partitionCounts();
      const { rideTopic, fareTopic } = this.options;
      const messages = [
        ...Array.from({ length: this.partitions.rides }, (_, partition) => ({ topic: rideTopic, partition, key: HEARTBEAT_MEDALLION, value: heartbeatRide(time) })),
        ...Array.from({ length: this.partitions.fares }, (_, partition) => ({ topic: fareTopic, partition, key: HEARTBEAT_MEDALLION, value: heartbeatFare(time) })),
      ];
      await this.producer.send({ messages });
      this.rounds += 1;
    } catch (err) {
      this.failures += 1;
      // Partitions may have been added meanwhile: count them again next time.
      this.partitions = undefined;
      throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `heartbeat to ${this.options.bootstrapServers} failed`, { cause: err, retriable: true });
    }
  }

  /** Beats every interval in the background; a failed round is logged and the next one tries again. */
  start(): void {
    let inFlight = false;
    const tick = () => {
      // A round still in flight (a slow broker) is not stacked on: this interval is skipped.
      if (inFlight) return;
      inFlight = true;
      this.sending = this.beat()
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'heartbeat failed; trying again next round'))
        .finally(() => (inFlight = false));
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs);
  }

  /** Stops beating; a round still in flight (a broker restarting) gets 15 s, closing the producer 10 s more. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if ((await within(this.sending ?? Promise.resolve(), 15_000, 'timed out')) === 'timed out') log.warn('the last heartbeat round did not finish within 15 s; stopping anyway');
    await within(this.producer.close(), 10_000, undefined).catch(() => undefined);
  }

  private async partitionCounts(): Promise<{ rides: number; fares: number }> {
    const { rideTopic, fareTopic } = this.options;
    const metadata = await this.producer.metadata({ topics: [rideTopic, fareTopic] });
    const count = (topic: string) => {
      const n = metadata.topics.get(topic)?.partitionsCount;
      if (!n) throw new InfrastructureError('TIPSTREAM_NOT_FOUND', `topic ${topic} does not exist on ${this.options.bootstrapServers}`);
      return n;
    };
    return { rides: count(rideTopic), fares: count(fareTopic) };
  }
}
