// Parsers for the trip files: FOIL 2013 trip_data / trip_fare rows, and DEBS 2015 combined rows.
// A row that cannot be read gives a reason instead of a record; the caller counts and reports it.
import { parseTripFileTime, type Fare, type Ride } from './records.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Constants for the fields the DEBS 2015 format does not carry (documented in the README). */
export const DEBS_DEFAULTS = { vendorId: 'DEBS', rateCode: 1, passengerCount: 1, storeAndForwardFlag: 'N' } as const;

const FOIL_DATA_COLUMNS = 14;
const FOIL_FARE_COLUMNS = 11;
const DEBS_COLUMNS = 17;

function fail<T>(reason: string): Parsed<T> {
  return { ok: false, reason };
}

function fields(line: string): string[] {
  return line.replace(/\r$/, '').split(',').map((f) => f.trim());
}

function number(text: string | undefined, name: string): number | string {
  const value = text === undefined || text === '' ? NaN : Number(text);
  return Number.isFinite(value) ? value : `${name} is not a number: '${text ?? ''}'`;
}

function amount(text: string | undefined, name: string): string | { error: string } {
  const value = text === undefined || text === '' ? NaN : Number(text);
  return Number.isFinite(value) ? text! : { error: `${name} is not a number: '${text ?? ''}'` };
}

/** True for a header line (the FOIL files have one, with or without a space after each comma). */
export function isHeader(line: string): boolean {
  return /^\s*medallion\s*,/i.test(line);
}

function parseRideFields(f: string[], vendor: { vendorId: string; rateCode: string; flag: string; passengers: string }, times: [string, string], rest: string[]): Parsed<Ride> {
  const [medallion, hackLicense] = f;
  if (!medallion || !hackLicense) return fail('medallion or hack_license is empty');
  const pickupTime = parseTripFileTime(times[0]);
  if (Number.isNaN(pickupTime)) return fail(`pickup_datetime is not a time: '${times[0]}'`);
  const dropoffTime = parseTripFileTime(times[1]);
  if (Number.isNaN(dropoffTime)) return fail(`dropoff_datetime is not a time: '${times[1]}'`);
  const names = ['trip_time_in_secs', 'trip_distance', 'pickup_longitude', 'pickup_latitude', 'dropoff_longitude', 'dropoff_latitude'];
  const values: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const v = number(rest[i], names[i]!);
    if (typeof v === 'string') return fail(v);
    values.push(v);
  }
  const rateCode = number(vendor.rateCode, 'rate_code');
  if (typeof rateCode === 'string') return fail(rateCode);
  const passengers = number(vendor.passengers, 'passenger_count');
  if (typeof passengers === 'string') return fail(passengers);
  const [tripTimeInSeconds, tripDistanceInMiles, pickupLon, pickupLat, dropoffLon, dropoffLat] = values as [number, number, number, number, number, number];
  return {
    ok: true,
    value: {
      medallion, hackLicense, vendorId: vendor.vendorId, pickupTime, dropoffTime, rateCode, storeAndForwardFlag: vendor.flag,
      passengerCount: passengers, tripTimeInSeconds, tripDistanceInMiles, pickupLon, pickupLat, dropoffLon, dropoffLat,
    },
  };
}

function parseFareFields(f: string[], vendorId: string, time: string, amounts: string[], paymentType: string): Parsed<Fare> {
  const [medallion, hackLicense] = f;
  if (!medallion || !hackLicense) return fail('medallion or hack_license is empty');
  const pickupTime = parseTripFileTime(time);
  if (Number.isNaN(pickupTime)) return fail(`pickup_datetime is not a time: '${time}'`);
  const names = ['fare_amount', 'surcharge', 'mta_tax', 'tip_amount', 'tolls_amount', 'total_amount'];
  const values: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const v = amount(amounts[i], names[i]!);
    if (typeof v !== 'string') return fail(v.error);
    values.push(v);
  }
  const [fareAmount, surcharge, mtaTax, tipAmount, tollsAmount, totalAmount] = values as [string, string, string, string, string, string];
  return { ok: true, value: { medallion, hackLicense, vendorId, pickupTime, paymentType, fareAmount, surcharge, mtaTax, tipAmount, tollsAmount, totalAmount } };
}

/** medallion, hack_license, vendor_id, rate_code, store_and_fwd_flag, pickup_datetime, dropoff_datetime, passenger_count, trip_time_in_secs, trip_distance, 4 coordinates */
export function parseFoilRide(line: string): Parsed<Ride> {
  const f = fields(line);
  if (f.length !== FOIL_DATA_COLUMNS) return fail(`expected ${FOIL_DATA_COLUMNS} columns, found ${f.length}`);
  if (!f[2]) return fail('vendor_id is empty');
  return parseRideFields(f, { vendorId: f[2], rateCode: f[3]!, flag: f[4] ?? '', passengers: f[7]! }, [f[5]!, f[6]!], f.slice(8));
}

/** medallion, hack_license, vendor_id, pickup_datetime, payment_type, fare_amount, surcharge, mta_tax, tip_amount, tolls_amount, total_amount */
export function parseFoilFare(line: string): Parsed<Fare> {
  const f = fields(line);
  if (f.length !== FOIL_FARE_COLUMNS) return fail(`expected ${FOIL_FARE_COLUMNS} columns, found ${f.length}`);
  if (!f[2]) return fail('vendor_id is empty');
  return parseFareFields(f, f[2], f[3]!, f.slice(5), f[4] ?? '');
}

/**
 * medallion, hack_license, pickup_datetime, dropoff_datetime, trip_time_in_secs, trip_distance,
 * 4 coordinates, payment_type, fare_amount, surcharge, mta_tax, tip_amount, tolls_amount, total_amount
 */
export function parseDebs(line: string): Parsed<{ ride: Ride; fare: Fare }> {
  const f = fields(line);
  if (f.length !== DEBS_COLUMNS) return fail(`expected ${DEBS_COLUMNS} columns, found ${f.length}`);
  const ride = parseRideFields(
    f,
    { vendorId: DEBS_DEFAULTS.vendorId, rateCode: String(DEBS_DEFAULTS.rateCode), flag: DEBS_DEFAULTS.storeAndForwardFlag, passengers: String(DEBS_DEFAULTS.passengerCount) },
    [f[2]!, f[3]!],
    f.slice(4, 10),
  );
  if (!ride.ok) return ride;
  const fare = parseFareFields(f, DEBS_DEFAULTS.vendorId, f[2]!, f.slice(11, 17), f[10] ?? '');
  if (!fare.ok) return fare;
  return { ok: true, value: { ride: ride.value, fare: fare.value } };
}
