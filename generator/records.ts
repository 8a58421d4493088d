// Rides and fares as the generator sends them (../shared/DESIGN.md, Data contracts), and the
// message key that puts a trip's ride and fare in the same partition number of their topics.

export interface Ride {
  medallion: string;
  hackLicense: string;
  vendorId: string;
  /** Milliseconds since the epoch, UTC. */
  pickupTime: number;
  dropoffTime: number;
  rateCode: number;
  storeAndForwardFlag: string;
  passengerCount: number;
  tripTimeInSeconds: number;
  tripDistanceInMiles: number;
  pickupLon: number;
  pickupLat: number;
  dropoffLon: number;
  dropoffLat: number;
}

/** Amounts keep the trip file's own text, so what the job sums is exactly what the file says. */
export interface Fare {
  medallion: string;
  hackLicense: string;
  vendorId: string;
  pickupTime: number;
  paymentType: string;
  fareAmount: string;
  surcharge: string;
  mtaTax: string;
  tipAmount: string;
  tollsAmount: string;
  totalAmount: string;
}

export type Stream = 'ride' | 'fare';

/** One message to send. `time` orders the replay (pickup time, shifted for --fares-lead). */
export interface OutgoingEvent {
  stream: Stream;
  time: number;
  key: string;
  value: string;
}

export function messageKey(record: { medallion: string; hackLicense: string; vendorId: string }): string {
  return `${record.medallion}_${record.hackLicense}_${record.vendorId}`;
}

/** `2013-01-01T00:04:27Z` */
export function isoTime(ms: number): string {
  return remembered(isoTimes, ms, () => `${new Date(ms).toISOString().slice(0, 19)}Z`);
}

/** `2013-01-01 00:04:27`, the trip files' own format. */
export function tripFileTime(ms: number): string {
  return remembered(tripFileTimes, ms, () => new Date(ms).toISOString().slice(0, 19).replace('T', ' '));
}

// Trip times come in order and repeat (the DEBS file has whole minutes), so the last few thousand
// formatted times are kept: formatting was a tenth of a synthetic replay's time.
const isoTimes = new Map<number, string>();
const tripFileTimes = new Map<number, string>();
function remembered(cache: Map<number, string>, ms: number, format: () => string): string {
  let text = cache.get(ms);
  if (text === undefined) {
    if (cache.size >= 4096) cache.clear();
    text = format();
    cache.set(ms, text);
  }
  return text;
}

/** Parses the trip files' `yyyy-MM-dd HH:mm:ss` as UTC; NaN when it is not one. */
export function parseTripFileTime(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!match) return NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Reject dates that Date.UTC silently rolled over (2013-02-30 → March 2).
  return new Date(ms).getUTCDate() === d && new Date(ms).getUTCMonth() === mo - 1 && h < 24 && mi < 60 && s < 60 ? ms : NaN;
}

export function rideJson(ride: Ride): string {
  return JSON.stringify({
    medallion: ride.medallion,
    hackLicense: ride.hackLicense,
    vendorId: ride.vendorId,
    pickupTime: isoTime(ride.pickupTime),
    dropoffTime: isoTime(ride.dropoffTime),
    rateCode: ride.rateCode,
    storeAndForwardFlag: ride.storeAndForwardFlag,
    passengerCount: ride.passengerCount,
    tripTimeInSeconds: ride.tripTimeInSeconds,
    tripDistanceInMiles: ride.tripDistanceInMiles,
    pickupLon: ride.pickupLon,
    pickupLat: ride.pickupLat,
    dropoffLon: ride.dropoffLon,
    dropoffLat: ride.dropoffLat,
  });
}

export function fareCsv(fare: Fare): string {
  return [
    fare.medallion, fare.hackLicense, fare.vendorId, tripFileTime(fare.pickupTime), fare.paymentType,
    fare.fareAmount, fare.surcharge, fare.mtaTax, fare.tipAmount, fare.tollsAmount, fare.totalAmount,
  ].join(',');
}

export function rideEvent(ride: Ride): OutgoingEvent {
  return { stream: 'ride', time: ride.pickupTime, key: messageKey(ride), value: rideJson(ride) };
}

export function fareEvent(fare: Fare, leadMs = 0): OutgoingEvent {
  return { stream: 'fare', time: fare.pickupTime - leadMs, key: messageKey(fare), value: fareCsv(fare) };
}
