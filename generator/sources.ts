// Turns trip files into one stream of ride and fare events ordered by pickup time: FOIL pairs
// (read in lockstep, since their rows correspond), DEBS combined rows, or a synthetic scale-up.
import { UserError } from '../common/errors.js';
import { debsFiles, foilPairs, readLines } from './input.js';
import { isHeader, parseDebs, parseFoilFare, parseFoilRide, type Parsed } from './parsers.js';
import { fareEvent, isoTime, rideEvent, tripFileTime, type Fare, type OutgoingEvent, type Ride } from './records.js';
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
  /**
   * Synthetic, live: the first copy's first trip is at this time (ms since the epoch), and copies
   * follow each other a minute apart instead of whole hours, as many as `trips` asks for.
   */
  startAt?: number;
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

async function* debsRecords(input: string, options: SourceOptions, report: InputReport): AsyncGenerator<Record_> {
  for (const path of await debsFiles(input)) {
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
  const minute = 60_000;
  const live = options.startAt !== undefined;
  const period = live ? (Math.floor((last - first) / minute) + 2) * minute : (Math.floor((last - first) / hour) + 1) * hour + hour;
  const offset = live ? options.startAt! - first : 0;
  // One copy's events in time order, each split around what changes between copies (medallion
  // and times), so a copy is built by concatenation: scale-ups of millions stay cheap.
  const ordered: Array<{ event: OutgoingEvent; trip: number }> = [];
  const buffer = new ReorderBuffer(Number.MAX_SAFE_INTEGER);
  base.forEach((trip, i) => {
    buffer.push({ ...rideEvent(trip.ride), key: `${i}` });
    buffer.push({ ...fareEvent(trip.fare, options.faresLeadMs), key: `${i}` });
  });
  for (const event of buffer.drain()) ordered.push({ event, trip: Number(event.key) });
  const templates = ordered.map(({ event, trip }) => copyTemplate(event.stream, base[trip]!, trip, options.faresLeadMs));
  let made = 0;
  for (let k = 0; ; k++) {
    const remaining = wanted - made;
    if (remaining <= 0) return;
    // A partial last copy keeps whole trips: the first `remaining` trips by ride time.
    const limit = Math.min(remaining, base.length);
    const suffix = k === 0 ? '' : `-${k}`;
    const shift = offset + k * period;
    for (const template of templates) {
      if (template.trip >= limit) continue;
      const event = template.build(suffix, shift);
      // Counted as they are made, so an interrupted replay's summary agrees with what it sent.
      if (event.stream === 'ride') report.trips += 1;
      yield event;
    }
    made += limit;
  }
}

interface CopyTemplate {
  trip: number;
  build(suffix: string, shiftMs: number): OutgoingEvent;
}

/** A ride or fare event that can be rebuilt with a medallion suffix and shifted times. */
function copyTemplate(stream: 'ride' | 'fare', trip: { ride: Ride; fare: Fare }, index: number, leadMs: number): CopyTemplate {
  const record = stream === 'ride' ? trip.ride : trip.fare;
  const keyTail = `_${record.hackLicense}_${record.vendorId}`;
  if (stream === 'ride') {
    const json = rideEvent(trip.ride).value;
    const medallionEnd = json.indexOf('","hackLicense"');
    const pickupAt = json.indexOf('"pickupTime":"') + 14;
    const dropoffAt = json.indexOf('"dropoffTime":"') + 15;
    const [p0, p1, p2, p3] = [json.slice(0, medallionEnd), json.slice(medallionEnd, pickupAt), json.slice(pickupAt + 20, dropoffAt), json.slice(dropoffAt + 20)];
    const { medallion, pickupTime, dropoffTime } = trip.ride;
    return {
      trip: index,
      build: (suffix, shift) => ({
        stream,
        time: pickupTime + shift,
        key: medallion + suffix + keyTail,
        value: p0 + suffix + p1 + isoTime(pickupTime + shift) + p2 + isoTime(dropoffTime + shift) + p3,
      }),
    };
  }
  const csv = fareEvent(trip.fare).value;
  const medallionEnd = csv.indexOf(',');
  const timeAt = csv.indexOf(',', csv.indexOf(',', medallionEnd + 1) + 1) + 1;
  const [p0, p1, p2] = [csv.slice(0, medallionEnd), csv.slice(medallionEnd, timeAt), csv.slice(timeAt + 19)];
  const { medallion, pickupTime } = trip.fare;
  return {
    trip: index,
    build: (suffix, shift) => ({
      stream,
      time: pickupTime + shift - leadMs,
      key: medallion + suffix + keyTail,
      value: p0 + suffix + p1 + tripFileTime(pickupTime + shift) + p2,
    }),
  };
}

