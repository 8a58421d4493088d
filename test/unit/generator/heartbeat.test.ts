// Heartbeats: a ride and a fare the job accepts as well-formed (so they move its watermarks) but
// that can never meet each other in the join.
import { HEARTBEAT_MEDALLION, heartbeatFare, heartbeatRide } from '../../../generator/heartbeat.js';

const at = Date.UTC(2026, 10, 30, 12, 34, 56);

it('makes a complete ride JSON with the wall-clock pickup time', () => {
  const ride = JSON.parse(heartbeatRide(at)) as Record<string, unknown>;
  expect(ride).toMatchObject({ medallion: HEARTBEAT_MEDALLION, pickupTime: '2026-11-30T12:34:56Z', tripDistanceInMiles: 0, pickupLon: 0, pickupLat: 0 });
  for (const field of ['hackLicense', 'vendorId', 'dropoffTime', 'dropoffLon', 'dropoffLat']) expect(ride[field]).toBeDefined();
});

it('makes an 11-column fare line with the trip files\' time format', () => {
  const fare = heartbeatFare(at).split(',');
  expect(fare).toHaveLength(11);
  expect(fare[0]).toBe(HEARTBEAT_MEDALLION);
  expect(fare[3]).toBe('2026-11-30 12:34:56');
  expect(fare.slice(5).every((v) => Number.isFinite(Number(v)))).toBe(true);
});

it('never lets a heartbeat ride meet a heartbeat fare: their trip keys differ', () => {
  const ride = JSON.parse(heartbeatRide(at)) as { medallion: string; hackLicense: string; vendorId: string };
  const fare = heartbeatFare(at).split(',');
  expect([ride.medallion, ride.vendorId]).toEqual([fare[0], fare[2]]);
  expect(ride.hackLicense).not.toBe(fare[1]);
});
