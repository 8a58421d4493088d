// Turns trip files into one stream of ride and fare events ordered by pickup time: FOIL pairs
// (read in lockstep, since their rows correspond), DEBS combined rows, or a synthetic scale-up.
import { UserError } from '../common/errors.js';
import { foilPairs, readLines } from './input.js';
import { isHeader, parseDebs, parseFoilFare, parseFoilRide, type Parsed } from './parsers.js';
import { fareEvent, rideEvent, type Fare, type OutgoingEvent, type Ride } from './records.js';
import { ReorderBuffer } from './reorder-buffer.js';

export type InputFormat = 'foil' | 'debs' | 'synthetic';

export interface SkippedRow {
  file: string;
  line: number;
  reason: string;
}

export interface InputReport {
  files: string[];
  /** Trip rows read (a FOIL ride row and its fare row count once each). */
  rowsRead: number;
  rowsSkipped: number;
  /** The first skipped rows, with file and line (all are counted in rowsSkipped). */
  skipped: SkippedRow[];
  /** Events the reorder buffer could not put in order (input more disordered than the buffer). */
  outOfOrder: number;
  trips: number;
}

export interface SourceOptions {
  format: InputFormat;
  input: string;
  /** Fares are sent this much earlier in event time than their rides (the reference's MINUTES_TO_LEAD). */
  faresLeadMs: number;
  maxTrips?: number;
  /** Synthetic: how many trips to generate. */
  trips?: number;
  /** Events held to put the input in time order. */
  bufferCapacity: number;
  onSkipped?: (row: SkippedRow) => void;
}

const MAX_LISTED_SKIPS = 100;

export function newInputReport(): InputReport {
  return { files: [], rowsRead: 0, rowsSkipped: 0, skipped: [], outOfOrder: 0, trips: 0 };
}

export function events(options: SourceOptions, report: InputReport): AsyncGenerator<OutgoingEvent> {
  switch (options.format) {
    case 'foil':
      return ordered(foilRecords(options, report), options, report);
    case 'debs':
      return ordered(debsRecords(options.input, options, report), options, report);
    case 'synthetic':
      return syntheticEvents(options, report);
  }
}

type Record_ = { ride?: Ride; fare?: Fare };

function skip(report: InputReport, options: SourceOptions, row: SkippedRow): void {
  report.rowsSkipped += 1;
  if (report.skipped.length < MAX_LISTED_SKIPS) report.skipped.push(row);
  options.onSkipped?.(row);
}

async function* ordered(records: AsyncGenerator<Record_>, options: SourceOptions, report: InputReport): AsyncGenerator<OutgoingEvent> {
  const buffer = new ReorderBuffer(options.bufferCapacity);
  for await (const record of records) {
    if (record.ride) yield* buffer.push(rideEvent(record.ride));
    if (record.fare) yield* buffer.push(fareEvent(record.fare, options.faresLeadMs));
  }
  yield* buffer.drain();
  report.outOfOrder = buffer.outOfOrder;
}

function limitReached(options: SourceOptions, report: InputReport): boolean {
  return options.maxTrips !== undefined && report.trips >= options.maxTrips;
}

async function* foilRecords(options: SourceOptions, report: InputReport): AsyncGenerator<Record_> {
  for (const pair of await foilPairs(options.input)) {
    report.files.push(pair.tripData, pair.tripFare);
    const rides = readLines(pair.tripData);
    const fares = readLines(pair.tripFare);
    for (;;) {
      if (limitReached(options, report)) return;
      const [ride, fare] = await Promise.all([rides.next(), fares.next()]);
      if (ride.done && fare.done) break;
      const rideRecord = ride.done ? undefined : parseRow(ride.value, pair.tripData, parseFoilRide, options, report);
      const fareRecord = fare.done ? undefined : parseRow(fare.value, pair.tripFare, parseFoilFare, options, report);
      if (rideRecord || fareRecord) {
        report.trips += 1;
        yield { ...(rideRecord ? { ride: rideRecord } : {}), ...(fareRecord ? { fare: fareRecord } : {}) };
      }
    }
  }
}

function parseRow<T>(line: { text: string; number: number }, file: string, parse: (l: string) => Parsed<T>, options: SourceOptions, report: InputReport): T | undefined {
  if (line.text.trim() === '' || (line.number === 1 && isHeader(line.text))) return undefined;
  report.rowsRead += 1;
  const parsed = parse(line.text);
  if (parsed.ok) return parsed.value;
  skip(report, options, { file, line: line.number, reason: parsed.reason });
  return undefined;
}

async function* debsRecords(path: string, options: SourceOptions, report: InputReport): AsyncGenerator<Record_> {
  report.files.push(path);
  for await (const line of readLines(path)) {
    if (limitReached(options, report)) return;
    const trip = parseRow(line, path, parseDebs, options, report);
    if (trip) {
      report.trips += 1;
      yield trip;
    }
  }
}

/**
 * Replays a real DEBS file many times: copy k shifts every time by k whole periods (a whole
 * number of hours longer than the file spans) and suffixes the medallion with `-k`, so trips stay
 * unique and joinable, windows keep their shape, and the spatial and fare distributions are real.
 */
async function* syntheticEvents(options: SourceOptions, report: InputReport): AsyncGenerator<OutgoingEvent> {
  const wanted = options.trips ?? options.maxTrips;
  if (!wanted || wanted < 1) throw new UserError('TIPSTREAM_USAGE', 'the synthetic format needs --trips N (how many trips to generate)');
  const base: Array<{ ride: Ride; fare: Fare }> = [];
  const baseReport = newInputReport();
  for await (const record of debsRecords(options.input, { ...options, maxTrips: undefined }, baseReport)) base.push(record as { ride: Ride; fare: Fare });
  report.files = baseReport.files;
  report.rowsRead = baseReport.rowsRead;
  report.rowsSkipped = baseReport.rowsSkipped;
  report.skipped = baseReport.skipped;
  if (base.length === 0) throw new UserError('TIPSTREAM_INPUT', `${options.input} holds no readable trip to scale up`);
  base.sort((a, b) => a.ride.pickupTime - b.ride.pickupTime);
  const first = base[0]!.ride.pickupTime;
  const last = base[base.length - 1]!.ride.pickupTime;
  const hour = 3_600_000;
  const period = (Math.floor((last - first) / hour) + 1) * hour + hour;
  // One copy's events, ordered once; later copies only shift times and rename medallions.
  const template: OutgoingEvent[] = [];
  const buffer = new ReorderBuffer(Number.MAX_SAFE_INTEGER);
  for (const trip of base) {
    buffer.push(rideEvent(trip.ride));
    buffer.push(fareEvent(trip.fare, options.faresLeadMs));
  }
  template.push(...buffer.drain());
  const copyOf = (event: OutgoingEvent, k: number, trip: { ride: Ride; fare: Fare }): OutgoingEvent => {
    const shift = k * period;
    if (event.stream === 'ride') return rideEvent({ ...trip.ride, medallion: `${trip.ride.medallion}-${k}`, pickupTime: trip.ride.pickupTime + shift, dropoffTime: trip.ride.dropoffTime + shift });
    return fareEvent({ ...trip.fare, medallion: `${trip.fare.medallion}-${k}`, pickupTime: trip.fare.pickupTime + shift }, options.faresLeadMs);
  };
  // Map each template event back to its trip (by stream and key + time) to rebuild copies.
  const tripOf = new Map<string, { ride: Ride; fare: Fare }>();
  for (const trip of base) tripOf.set(`${trip.ride.medallion}|${trip.ride.hackLicense}|${trip.ride.pickupTime}`, trip);
  const keyOf = (event: OutgoingEvent) => {
    const [medallion, hackLicense] = event.key.split('_');
    return `${medallion}|${hackLicense}|${event.stream === 'fare' ? event.time + options.faresLeadMs : event.time}`;
  };
  for (let k = 0; ; k++) {
    const remaining = wanted - report.trips;
    if (remaining <= 0) return;
    // A partial last copy keeps whole trips: the first `remaining` trips by ride time.
    const allowed = remaining >= base.length ? undefined : new Set(base.slice(0, remaining).map((t) => `${t.ride.medallion}|${t.ride.hackLicense}|${t.ride.pickupTime}`));
    for (const event of template) {
      const id = keyOf(event);
      if (allowed && !allowed.has(id)) continue;
      yield k === 0 ? event : copyOf(event, k, tripOf.get(id)!);
    }
    report.trips += allowed ? allowed.size : base.length;
  }
}
