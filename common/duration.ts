// Human durations ("3 minutes", "1 hour", "30 s", "500 ms") for flags and settings.
import { UserError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/** Milliseconds of a duration like "5 minutes"; a UserError naming `name` otherwise. */
export function parseDurationMs(text: string, name: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
  const unit = match ? UNIT_MS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new UserError('TIPSTREAM_USAGE', `${name} must look like "5 minutes", "30 s" or "1 hour", got '${text}'`);
  return Math.round(Number(match[1]) * unit);
}
