// Renders the job's .sql files: every ${PLACEHOLDER} gets a value that was validated and escaped
// for the place it goes (a string literal, an interval, a whole option line), so no setting can
// inject SQL. Secrets are rendered twice: for real, and redacted for anything printed or logged.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { projectRoot } from '../common/config.js';
import { parseDuration, type DurationUnit } from '../common/duration.js';
import { UserError } from '../common/errors.js';

export const sqlDir = resolve(projectRoot, 'sql');

/** A value for one placeholder. */
export type SqlValue =
  | { kind: 'string'; value: string; secret?: boolean }
  | { kind: 'interval'; value: string }
  | { kind: 'options'; value: Record<string, string>; secret?: boolean };

export interface RenderedStatement {
  file: string;
  /** 1-based index of the statement in its file. */
  index: number;
  sql: string;
  /** The same statement with secrets replaced, safe to print. */
  printable: string;
}

const SQL_UNITS: Record<DurationUnit, string> = { ms: 'MILLISECOND', s: 'SECOND', min: 'MINUTE', h: 'HOUR', d: 'DAY' };

/** "3 minutes", "1 hour", "30 s" → INTERVAL '3' MINUTE (common/duration.ts's grammar). Anything else is a UserError. */
export function sqlInterval(text: string, name = 'interval'): string {
  const { amount, unit, ms } = parseDuration(text, name);
  if (ms === 0) throw new UserError('TIPSTREAM_USAGE', `${name} must be longer than 0, got '${text}'`);
  return `INTERVAL '${amount}' ${SQL_UNITS[unit]}`;
}

/** A Flink duration option value ("3 min") from the same human form. */
export function flinkDuration(text: string, name = 'duration'): string {
  const { amount, unit, ms } = parseDuration(text, name);
  if (ms === 0) throw new UserError('TIPSTREAM_USAGE', `${name} must be longer than 0, got '${text}'`);
  return `${amount} ${unit}`;
}

/** A SQL string literal: quotes doubled, control characters refused. */
export function sqlString(value: string): string {
  if (/[\u0000-\u001f]/.test(value)) throw new UserError('TIPSTREAM_USAGE', 'a value for the SQL job holds a control character');
  return `'${value.replace(/'/g, "''")}'`;
}

const OPTION_KEY = /^[a-z][a-z0-9._-]*$/i;

function renderValue(name: string, value: SqlValue, redact: boolean): string {
  switch (value.kind) {
    case 'string':
      return redact && value.secret ? "'<redacted>'" : sqlString(value.value);
    case 'interval':
      return sqlInterval(value.value, name);
    case 'options':
      return Object.entries(value.value)
        .map(([key, v]) => {
          if (!OPTION_KEY.test(key)) throw new UserError('TIPSTREAM_USAGE', `invalid connector option name '${key}' for ${name}`);
          return `${sqlString(key)} = ${redact && value.secret ? "'<redacted>'" : sqlString(v)},`;
        })
        .join('\n  ');
  }
}

const REPEAT_START = /^-- @repeat\b/;
const REPEAT_END = '-- @end repeat';
const REPEAT_CELL = /^(?:[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Z0-9_]+\})$/;

/** The cells of a `--   a   b   c` table line of a repeat block. */
function repeatCells(line: string): string[] {
  return line.replace(/^--/, '').trim().split(/\s+/);
}

/**
 * Writes out each repeat block of a template: the lines between `-- @repeat ...` and
 * `-- @end repeat`, once per row of the table in the comment lines that follow the `@repeat`
 * line (a row of column names, then one row per copy). In a copy, `${COLUMN}` becomes that row's
 * cell: an SQL identifier, or a `${PLACEHOLDER}` the job's values fill in as anywhere else.
 * The copies are separated by a blank line; a template without a repeat block is left as it is.
 */
export function expandRepeats(template: string, file: string): string {
  const lines = template.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!REPEAT_START.test(lines[i]!)) {
      out.push(lines[i]!);
      continue;
    }
    const at = `${file}, the repeat block of line ${i + 1}`;
    let j = i + 1;
    const table: string[][] = [];
    for (; j < lines.length && lines[j]!.startsWith('--'); j++) table.push(repeatCells(lines[j]!));
    const end = lines.indexOf(REPEAT_END, j);
    if (end === -1) throw new UserError('TIPSTREAM_USAGE', `${at} has no '${REPEAT_END}' line`);
    const [columns, ...rows] = table;
    if (!columns || rows.length === 0) throw new UserError('TIPSTREAM_USAGE', `${at} needs a row of column names and at least one row of values`);
    const body = lines.slice(j, end).join('\n');
    const copies = rows.map((row, r) => {
      if (row.length !== columns.length) throw new UserError('TIPSTREAM_USAGE', `${at}: row ${r + 1} has ${row.length} cells for ${columns.length} columns`);
      const bad = row.find((cell) => !REPEAT_CELL.test(cell));
      if (bad !== undefined) throw new UserError('TIPSTREAM_USAGE', `${at}: '${bad}' is neither an SQL name nor a \${PLACEHOLDER}`);
      return body.replace(/\$\{([A-Z0-9_]+)\}/g, (placeholder, name: string) => {
        const column = columns.indexOf(name);
        return column === -1 ? placeholder : row[column]!;
      });
    });
    out.push(copies.join('\n\n'));
    i = end;
  }
  return out.join('\n');
}

export function renderTemplate(template: string, file: string, values: Record<string, SqlValue>): { sql: string; printable: string } {
  const used = new Set<string>();
  const expanded = expandRepeats(template, file);
  const render = (redact: boolean) =>
    expanded.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new UserError('TIPSTREAM_USAGE', `${file} uses \${${name}}, which has no value`);
      used.add(name);
      return renderValue(name, value, redact);
    });
  return { sql: render(false), printable: render(true) };
}

/** Splits a script into statements at `;`, outside quotes, comments and BEGIN/CASE ... END blocks. */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let depth = 0;
  let i = 0;
  while (i < script.length) {
    const ch = script[i]!;
    if (ch === "'") {
      const end = findQuoteEnd(script, i);
      current += script.slice(i, end);
      i = end;
      continue;
    }
    if (ch === '-' && script[i + 1] === '-') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end;
      continue;
    }
    const word = /^[A-Za-z]+/.exec(script.slice(i, i + 6))?.[0]?.toUpperCase();
    const boundary = i === 0 || !/[A-Za-z0-9_]/.test(script[i - 1]!);
    if (boundary && (word === 'BEGIN' || word === 'CASE')) depth += 1;
    if (boundary && word === 'END' && depth > 0) depth -= 1;
    if (ch === ';' && depth === 0) {
      if (current.trim()) statements.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
    i += 1;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}

function findQuoteEnd(script: string, start: number): number {
  let i = start + 1;
  while (i < script.length) {
    if (script[i] === "'") {
      if (script[i + 1] === "'") i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return i;
}

/** Every statement of the job, in file order, rendered. */
export async function renderJob(values: Record<string, SqlValue>, dir = sqlDir): Promise<RenderedStatement[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out: RenderedStatement[] = [];
  for (const file of files) {
    const template = await readFile(join(dir, file), 'utf8');
    const real = splitStatements(renderTemplate(template, file, values).sql);
    const printable = splitStatements(renderTemplate(template, file, values).printable);
    real.forEach((sql, k) => out.push({ file, index: k + 1, sql, printable: printable[k]! }));
  }
  return out;
}
