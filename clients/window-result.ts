// The window result, described once: the JSON record the job writes to the results topic
// (DESIGN.md, Data contracts) and its row in the Cassandra table.
import { z } from 'zod';

const time = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'an ISO-8601 time');
const amount = z.number().finite();

export const windowResultSchema = z.object({
  windowStart: time,
  windowEnd: time,
  neighborhood: z.string().min(1),
  rideCount: amount,
  totalFareAmount: amount,
  totalTipAmount: amount,
  averageFareAmount: amount,
  averageTipAmount: amount,
  totalDistanceMiles: amount,
  /** Null when the window's rides have no distance. */
  averageTipPerMile: amount.nullish().transform((v) => v ?? null),
});

export type WindowResult = z.output<typeof windowResultSchema>;

/** Each field's column in `neighborhoodstats`, in the table's column order (the key first). */
export const windowResultColumns = {
  neighborhood: 'neighborhood',
  windowEnd: 'window_end',
  windowStart: 'window_start',
  rideCount: 'number_of_rides',
  totalFareAmount: 'total_fare_amount',
  totalTipAmount: 'total_tip_amount',
  averageFareAmount: 'average_fare_amount',
  averageTipAmount: 'average_tip_amount',
  totalDistanceMiles: 'total_distance_miles',
  averageTipPerMile: 'average_tip_per_mile',
} as const satisfies Record<keyof WindowResult, string>;

/** Parses and checks one record of the results topic; undefined when it is not a window result. */
export function parseWindowResult(value: string): WindowResult | undefined {
  let row: unknown;
  try {
    row = JSON.parse(value);
  } catch {
    return undefined;
  }
  const parsed = windowResultSchema.safeParse(row);
  return parsed.success ? parsed.data : undefined;
}
