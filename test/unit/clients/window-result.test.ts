import { parseWindowResult, windowResultColumns } from '../../../clients/index.js';

const row = {
  windowStart: '2013-01-01T00:00:00Z', windowEnd: '2013-01-01T01:00:00Z', neighborhood: 'Midtown', rideCount: 3,
  totalFareAmount: 30, totalTipAmount: 6, averageFareAmount: 10, averageTipAmount: 2, totalDistanceMiles: 4, averageTipPerMile: 1.5,
};

describe('the window result', () => {
  it('parses a record of the results topic', () => {
    expect(parseWindowResult(JSON.stringify(row))).toEqual(row);
  });

  it('takes a missing tip per mile (no miles driven) as null', () => {
    const { averageTipPerMile: _, ...withoutTipPerMile } = row;
    expect(parseWindowResult(JSON.stringify(withoutTipPerMile))?.averageTipPerMile).toBeNull();
  });

  it('rejects what is not a window result', () => {
    expect(parseWindowResult('not json')).toBeUndefined();
    expect(parseWindowResult(JSON.stringify({ ...row, windowEnd: 'yesterday' }))).toBeUndefined();
    expect(parseWindowResult(JSON.stringify({ ...row, neighborhood: '' }))).toBeUndefined();
    expect(parseWindowResult(JSON.stringify({ ...row, rideCount: '3' }))).toBeUndefined();
  });

  it('maps every field to a column of the Cassandra table of DESIGN.md', () => {
    expect(Object.keys(windowResultColumns).sort()).toEqual(Object.keys(row).sort());
    expect(Object.values(windowResultColumns)).toEqual([
      'neighborhood', 'window_end', 'window_start', 'number_of_rides', 'total_fare_amount', 'total_tip_amount',
      'average_fare_amount', 'average_tip_amount', 'total_distance_miles', 'average_tip_per_mile',
    ]);
  });
});
