import { join } from 'node:path';
import { readText, samples } from '../../support/data.js';
import { DEBS_DEFAULTS, fareCsv, messageKey, parseDebs, parseFoilFare, parseFoilRide, rideJson } from '../../../generator/index.js';
import { parseTripFileTime } from '../../../generator/records.js';

const foil = samples.foil;
const lines = (file: string) => readText(file).split(/\r?\n/).filter((l) => l.trim() !== '');

describe('FOIL trip_data / trip_fare rows', () => {
  it.each([1, 2])('parses every row of sample pair %i, whose rides and fares share their keys', (n) => {
    const data = lines(join(foil, `trip_data_${n}.sample.csv`)).slice(1).map(parseFoilRide);
    const fares = lines(join(foil, `trip_fare_${n}.sample.csv`)).slice(1).map(parseFoilFare);
    expect(data.every((r) => r.ok)).toBe(true);
    expect(fares.every((f) => f.ok)).toBe(true);
    expect(data).toHaveLength(n === 1 ? 99 : 9);
    const rideKeys = data.map((r) => (r.ok ? `${messageKey(r.value)}@${r.value.pickupTime}` : '')).sort();
    const fareKeys = fares.map((f) => (f.ok ? `${messageKey(f.value)}@${f.value.pickupTime}` : '')).sort();
    expect(rideKeys).toEqual(fareKeys);
  });

  it('reads a ride row into the contract, times as UTC', () => {
    const parsed = parseFoilRide('89D227B655E5C82AECF13C3F540D4CF4,BA96DE419E711691B9445D6A6307C170,CMT,1,N,2013-01-01 15:11:48,2013-01-01 15:18:10,4,382,1.00,-73.978165,40.757977,-73.989838,40.751171\r');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(JSON.parse(rideJson(parsed.value))).toEqual({
      medallion: '89D227B655E5C82AECF13C3F540D4CF4', hackLicense: 'BA96DE419E711691B9445D6A6307C170', vendorId: 'CMT',
      pickupTime: '2013-01-01T15:11:48Z', dropoffTime: '2013-01-01T15:18:10Z', rateCode: 1, storeAndForwardFlag: 'N',
      passengerCount: 4, tripTimeInSeconds: 382, tripDistanceInMiles: 1, pickupLon: -73.978165, pickupLat: 40.757977, dropoffLon: -73.989838, dropoffLat: 40.751171,
    });
  });

  it('reads a fare row with spaces after the commas, keeping the amounts as written', () => {
    const parsed = parseFoilFare('89D227B655E5C82AECF13C3F540D4CF4, BA96DE419E711691B9445D6A6307C170, CMT, 2013-01-01 15:11:48, CSH, 6.5, 0, 0.5, 0, 0, 7');
    expect(parsed.ok && fareCsv(parsed.value)).toBe('89D227B655E5C82AECF13C3F540D4CF4,BA96DE419E711691B9445D6A6307C170,CMT,2013-01-01 15:11:48,CSH,6.5,0,0.5,0,0,7');
  });

  it.each([
    ['a short row', 'A,B,CMT,1,N,2013-01-01 15:11:48', /expected 14 columns, found 6/],
    ['an unparsable time', 'A,B,CMT,1,N,2013-01-01 25:11:48,2013-01-01 15:18:10,4,382,1.00,-73.9,40.7,-73.9,40.7', /pickup_datetime is not a time/],
    ['an impossible date', 'A,B,CMT,1,N,2013-02-30 10:00:00,2013-01-01 15:18:10,4,382,1.00,-73.9,40.7,-73.9,40.7', /pickup_datetime is not a time/],
    ['an unparsable number', 'A,B,CMT,1,N,2013-01-01 15:11:48,2013-01-01 15:18:10,4,382,one,-73.9,40.7,-73.9,40.7', /trip_distance is not a number: 'one'/],
    ['an empty medallion', ',B,CMT,1,N,2013-01-01 15:11:48,2013-01-01 15:18:10,4,382,1,-73.9,40.7,-73.9,40.7', /medallion or hack_license is empty/],
  ])('refuses %s with a reason', (_name, line, reason) => {
    const parsed = parseFoilRide(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it.each([
    ['wrong column count', 'A,B,CMT,2013-01-01 15:11:48,CSH,6.5,0,0.5,0,0', /expected 11 columns, found 10/],
    ['a bad amount', 'A,B,CMT,2013-01-01 15:11:48,CSH,six,0,0.5,0,0,7', /fare_amount is not a number/],
    ['a bad time', 'A,B,CMT,yesterday,CSH,6.5,0,0.5,0,0,7', /pickup_datetime is not a time/],
  ])('refuses a fare with %s', (_name, line, reason) => {
    const parsed = parseFoilFare(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe('DEBS 2015 rows', () => {
  it('turns every sample row into a ride and a fare with the documented constants', () => {
    const rows = lines(samples.debs);
    const parsed = rows.map(parseDebs);
    expect(parsed.filter((p) => p.ok)).toHaveLength(10_004);
    const first = parsed[0]!;
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.value.ride).toMatchObject({ medallion: '07290D3599E7A0D62097A346EFCC1FB5', vendorId: DEBS_DEFAULTS.vendorId, rateCode: 1, passengerCount: 1, storeAndForwardFlag: 'N', tripDistanceInMiles: 0.44 });
    expect(fareCsv(first.value.fare)).toBe('07290D3599E7A0D62097A346EFCC1FB5,E7750A37CAB07D0DFF0AF7E3573AC141,DEBS,2013-01-01 00:00:00,CSH,3.50,0.50,0.50,0.00,0.00,4.50');
    expect(messageKey(first.value.ride)).toBe(messageKey(first.value.fare));
  });

  it('refuses a row with a missing column', () => {
    expect(parseDebs('A,B,2013-01-01 00:00:00')).toEqual({ ok: false, reason: 'expected 17 columns, found 3' });
  });
});

describe('keys and times', () => {
  it('keys both streams by medallion_hackLicense_vendorId', () => {
    expect(messageKey({ medallion: 'M', hackLicense: 'H', vendorId: 'V' })).toBe('M_H_V');
  });

  it('reads trip-file times as UTC and refuses anything else', () => {
    expect(parseTripFileTime('2013-01-01 00:04:27')).toBe(Date.UTC(2013, 0, 1, 0, 4, 27));
    expect(parseTripFileTime('2013-01-01T00:04:27')).toBeNaN();
    expect(parseTripFileTime('2013-13-01 00:04:27')).toBeNaN();
  });
});
