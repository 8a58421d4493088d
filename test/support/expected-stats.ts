// The job's answer computed directly from trip files, for tests that check Flink's results:
// the files are read with a few lines of parsing of their own (not the generator's parsers), the
// trips joined on key and pickup time, looked up in the same boundaries and grouped by window.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readText } from './data.js';
import type { NeighborhoodIndex } from '../../udf-service/index.js';

export interface Trip {
  key: string;
  pickupMs: number;
  pickupLon: number;
  pickupLat: number;
  miles: number;
}
export interface Payment {
  key: string;
  pickupMs: number;
  fare: number;
  tip: number;
}
export interface StatsRow {
  windowStart: string;
  windowEnd: string;
  neighborhood: string;
  rideCount: number;
  totalFareAmount: number;
  totalTipAmount: number;
  averageFareAmount: number;
  averageTipAmount: number;
  totalDistanceMiles: number;
  averageTipPerMile: number | null;
}

const lines = (file: string) => readText(file).split(/\r?\n/).filter((line) => line.trim() !== '');
const utcMs = (time: string) => Date.parse(`${time.trim().replace(' ', 'T')}Z`);

/** DEBS 2015: one row per trip, ride and fare together, no vendor (the generator's constant). */
export function readDebs(file: string): { rides: Trip[]; fares: Payment[] } {
  const rides: Trip[] = [];
  const fares: Payment[] = [];
  for (const line of lines(file)) {
    const c = line.split(',');
    const key = `${c[0]}_${c[1]}_DEBS`;
    const pickupMs = utcMs(c[2]!);
    rides.push({ key, pickupMs, miles: Number(c[5]), pickupLon: Number(c[6]), pickupLat: Number(c[7]) });
    fares.push({ key, pickupMs, fare: Number(c[11]), tip: Number(c[14]) });
  }
  return { rides, fares };
}

/** FOIL 2013: rides and fares in separate files with a header, matched only by the join. */
export function readFoil(folder: string): { rides: Trip[]; fares: Payment[] } {
  const rides: Trip[] = [];
  const fares: Payment[] = [];
  for (const name of readdirSync(folder)) {
    const rows = lines(join(folder, name)).slice(1).map((line) => line.split(',').map((cell) => cell.trim()));
    if (name.startsWith('trip_data')) {
      for (const c of rows) rides.push({ key: `${c[0]}_${c[1]}_${c[2]}`, pickupMs: utcMs(c[5]!), miles: Number(c[9]), pickupLon: Number(c[10]), pickupLat: Number(c[11]) });
    } else if (name.startsWith('trip_fare')) {
      for (const c of rows) fares.push({ key: `${c[0]}_${c[1]}_${c[2]}`, pickupMs: utcMs(c[3]!), fare: Number(c[5]), tip: Number(c[8]) });
    }
  }
  return { rides, fares };
}

/** The job's answer, computed directly: join on key and pickup time, look up, group by window. */
export function expectedStats(input: { rides: Trip[]; fares: Payment[] }, windowMs: number, index: NeighborhoodIndex): StatsRow[] {
  const faresByTrip = new Map<string, Payment[]>();
  for (const fare of input.fares) {
    const id = `${fare.key}@${fare.pickupMs}`;
    faresByTrip.set(id, [...(faresByTrip.get(id) ?? []), fare]);
  }
  const groups = new Map<string, { start: number; neighborhood: string; count: number; fare: number; tip: number; miles: number }>();
  for (const ride of input.rides) {
    for (const fare of faresByTrip.get(`${ride.key}@${ride.pickupMs}`) ?? []) {
      const neighborhood = index.exactLookup(ride.pickupLon, ride.pickupLat);
      const start = Math.floor(ride.pickupMs / windowMs) * windowMs;
      const id = `${start}|${neighborhood}`;
      const group = groups.get(id) ?? { start, neighborhood, count: 0, fare: 0, tip: 0, miles: 0 };
      group.count += 1;
      group.fare += fare.fare;
      group.tip += fare.tip;
      group.miles += ride.miles;
      groups.set(id, group);
    }
  }
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  return [...groups.values()].map((g) => ({
    windowStart: iso(g.start),
    windowEnd: iso(g.start + windowMs),
    neighborhood: g.neighborhood,
    rideCount: g.count,
    totalFareAmount: g.fare,
    totalTipAmount: g.tip,
    averageFareAmount: g.fare / g.count,
    averageTipAmount: g.tip / g.count,
    totalDistanceMiles: g.miles,
    averageTipPerMile: g.miles === 0 ? null : g.tip / g.miles,
  }));
}

export const rowId = (row: StatsRow) => `${row.windowStart} ${row.neighborhood}`;

/** Same rows, no more and no fewer: counts exact, sums and averages within 1e-6. */
export function expectSameStats(actual: StatsRow[], expected: StatsRow[]): void {
  // A summary first, so a failure says at once whether rides went missing or changed neighborhood.
  const summary = (rows: StatsRow[]) => ({
    rides: rows.reduce((n, r) => n + r.rideCount, 0),
    unknownRides: rows.filter((r) => r.neighborhood === 'Unknown').reduce((n, r) => n + r.rideCount, 0),
    rows: rows.length,
  });
  expect(summary(actual)).toEqual(summary(expected));
  const byId = new Map(actual.map((row) => [rowId(row), row]));
  expect(byId.size).toBe(actual.length); // one row per window and neighborhood
  expect([...byId.keys()].sort()).toEqual(expected.map(rowId).sort());
  for (const want of expected) {
    const got = byId.get(rowId(want))!;
    expect({ id: rowId(got), end: got.windowEnd, rides: got.rideCount }).toEqual({ id: rowId(want), end: want.windowEnd, rides: want.rideCount });
    for (const field of ['totalFareAmount', 'totalTipAmount', 'averageFareAmount', 'averageTipAmount', 'totalDistanceMiles'] as const) {
      expect(Math.abs(got[field] - want[field])).toBeLessThan(1e-6);
    }
    if (want.averageTipPerMile === null) expect(got.averageTipPerMile).toBeNull();
    else expect(Math.abs(got.averageTipPerMile! - want.averageTipPerMile)).toBeLessThan(1e-6);
  }
}

