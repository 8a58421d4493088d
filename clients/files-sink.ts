// A result sink for analysts: one CSV file (RFC 4180, a header row with the Cassandra table's
// column names) per partition of each batch, for DuckDB, pandas or a spreadsheet. A file appears
// whole or not at all (written to a hidden temporary file, then renamed), and is named by topic,
// partition and first offset: a relay restarted after writing but before committing reads the
// partition again from that same offset, so the batch written again replaces its file.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenedResultSink, ResultBatch, ResultBatchPart, ResultSink, Retrying } from './result-sink.js';
import { windowResultColumns, type WindowResult } from './window-result.js';

export interface FilesSinkOptions {
  /** The folder the files go in; made when missing. */
  dir: string;
}

/** Failures that may pass: a busy or full disk, too many open files, a slow network file system. */
const RETRIABLE_CODES = new Set(['EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'ENOSPC', 'EDQUOT', 'ETIMEDOUT', 'ESTALE']);

const FIELDS = Object.keys(windowResultColumns) as Array<keyof WindowResult>;

/** Offsets padded to 20 digits (any 64-bit offset), so a listing sorts the files in offset order. */
export function resultFileName(topic: string, part: Pick<ResultBatchPart, 'partition' | 'firstOffset'>): string {
  return `${topic}-p${part.partition}-${part.firstOffset.toString().padStart(20, '0')}.csv`;
}

/** One field as RFC 4180 has it: quoted when it holds a comma, a quote or a line break, quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvValue(row: WindowResult, field: keyof WindowResult): string {
  const value = row[field];
  if (value === null) return '';
  // Times as stored in Cassandra: UTC, to the millisecond, whatever offset the record carried.
  if (field === 'windowStart' || field === 'windowEnd') return new Date(value).toISOString();
  return String(value);
}

/** The rows as CSV text: a header row, then one record a row, each line ended by CRLF. */
export function resultsCsv(rows: WindowResult[]): string {
  const lines = [Object.values(windowResultColumns).join(','), ...rows.map((row) => FIELDS.map((field) => csvField(csvValue(row, field))).join(','))];
  return lines.map((line) => `${line}\r\n`).join('');
}

/** Node's own message names the call and the path: `ENOSPC: no space left on device, write`. */
function describeFileError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The files sink as configured. */
export class FilesSink implements ResultSink {
  readonly name = 'files';
  readonly target: string;

  constructor(private readonly options: FilesSinkOptions) {
    this.target = `CSV files in ${options.dir}`;
  }

  async open(): Promise<OpenedFilesSink> {
    await mkdir(this.options.dir, { recursive: true });
    return new OpenedFilesSink(this.options.dir, this.target);
  }

  describe(err: unknown): string {
    return describeFileError(err);
  }
}

export class OpenedFilesSink implements OpenedResultSink {
  readonly name = 'files';

  constructor(
    private readonly dir: string,
    readonly target: string,
  ) {}

  async write(batch: ResultBatch, retrying: Retrying): Promise<void> {
    for (const part of batch.parts) {
      if (part.rows.length > 0) await retrying(() => this.writeFile(resultFileName(batch.topic, part), resultsCsv(part.rows)));
    }
  }

  /** Writes and syncs a hidden temporary file beside the final one, then renames it over that. */
  private async writeFile(name: string, text: string): Promise<void> {
    const temporary = join(this.dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const file = await open(temporary, 'w');
      try {
        await file.writeFile(text, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, join(this.dir, name));
    } catch (err) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  retriable(err: unknown): boolean {
    return RETRIABLE_CODES.has(String((err as NodeJS.ErrnoException | undefined)?.code));
  }

  describe(err: unknown): string {
    return describeFileError(err);
  }

  async close(): Promise<void> {}
}
