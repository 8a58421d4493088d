// Human durations ("3 minutes", "1 hour", "30 s", "5 m", "500 ms"): the one grammar of every
// duration flag and setting. The config schema checks settings with it, so a duration that
// passes validation also renders as a SQL interval and a Flink option.
import { UserError } from './errors.js';

export type DurationUnit = 'ms' | 's' | 'min' | 'h' | 'd';

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

const UNITS: Record<string, DurationUnit> = {
  ms: 'ms', millisecond: 'ms', milliseconds: 'ms',
  s: 's', sec: 's', second: 's', seconds: 's',
  m: 'min', min: 'min', minute: 'min', minutes: 'min',
  h: 'h', hour: 'h', hours: 'h',
  d: 'd', day: 'd', days: 'd',
};

export interface Duration {
  /** A whole number of `unit`s: the largest unit that holds the duration exactly when the text had a fraction. */
  amount: number;
  unit: DurationUnit;
  ms: number;
}

const GRAMMAR = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i;

/** Why `text` is not a duration, or undefined when it is one. */
export function durationProblem(text: string): string | undefined {
  const match = GRAMMAR.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) return `must look like "5 minutes", "30 s" or "1 hour", got '${text}'`;
  const ms = Number(match[1]) * UNIT_MS[unit];
  if (!Number.isInteger(ms)) return `must be a whole number of milliseconds, got '${text}'`;
  return undefined;
}

/** Parses a duration; a UserError naming `name` (a flag or a setting) otherwise. */
export function parseDuration(text: string, name: string): Duration {
  const problem = durationProblem(text);
  if (problem !== undefined) throw new UserError('TIPSTREAM_USAGE', `${name} ${problem}`);
  const [, number, word] = GRAMMAR.exec(text)!;
  const unit = UNITS[word!.toLowerCase()]!;
  const ms = Number(number) * UNIT_MS[unit];
  if (Number.isInteger(Number(number))) return { amount: Number(number), unit, ms };
  const exact = (['d', 'h', 'min', 's', 'ms'] as const).find((u) => ms % UNIT_MS[u] === 0)!;
  return { amount: ms / UNIT_MS[exact], unit: exact, ms };
}

/** Milliseconds of a duration like "5 minutes"; a UserError naming `name` otherwise. */
export function parseDurationMs(text: string, name: string): number {
  return parseDuration(text, name).ms;
}
