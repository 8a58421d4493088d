// Reading trip files: plain, gzipped or zipped CSV, CRLF or LF, line by line with line numbers; and
// finding the FOIL trip_data / trip_fare pairs of a folder, in numeric order.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Unzip, UnzipInflate } from 'fflate';
import { ConfigError, UserError } from '../common/errors.js';

export interface Line {
  text: string;
  /** 1-based line number in its file. */
  number: number;
}

export interface FoilPair {
  n: number;
  tripData: string;
  tripFare: string;
}

/** The lines of a CSV file, of a gzipped one (.gz), or of the first .csv inside a .zip; a trailing CR is removed. */
export async function* readLines(path: string): AsyncGenerator<Line> {
  if (!existsSync(path)) throw new ConfigError(`input file ${path} does not exist`);
  const name = path.toLowerCase();
  const stream = name.endsWith('.zip') ? unzippedCsv(path) : name.endsWith('.gz') ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
  let number = 0;
  try {
    for await (const raw of createInterface({ input: stream, crlfDelay: Infinity })) {
      number += 1;
      yield { text: raw.endsWith('\r') ? raw.slice(0, -1) : raw, number };
    }
  } catch (err) {
    // zlib's own message ("incorrect header check") does not say which file.
    if (typeof err === 'object' && err !== null && 'code' in err && String(err.code).startsWith('Z_')) throw new UserError('TIPSTREAM_INPUT', `${path} is not a readable gzip file`, { cause: err });
    throw err;
  }
}

/** Streams the first .csv entry of a zip archive without holding the whole file in memory. */
function unzippedCsv(path: string): Readable {
  const out = new Readable({ read() {} });
  let found = false;
  const unzip = new Unzip((file) => {
    if (found || !file.name.toLowerCase().endsWith('.csv')) return;
    found = true;
    file.ondata = (err, chunk, final) => {
      if (err) return out.destroy(new UserError('TIPSTREAM_INPUT', `${path}: the zip entry ${file.name} is damaged`, { cause: err }));
      out.push(Buffer.from(chunk));
      if (final) out.push(null);
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  const input = createReadStream(path);
  input.on('data', (chunk: string | Buffer) => {
    try {
      unzip.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk));
    } catch (cause) {
      input.destroy();
      out.destroy(new UserError('TIPSTREAM_INPUT', `${path} is not a readable zip archive`, { cause }));
    }
  });
  input.on('end', () => {
    try {
      unzip.push(new Uint8Array(0), true);
    } catch (cause) {
      out.destroy(new UserError('TIPSTREAM_INPUT', `${path} is not a readable zip archive`, { cause }));
      return;
    }
    if (!found) out.destroy(new UserError('TIPSTREAM_INPUT', `${path} holds no .csv file`));
  });
  input.on('error', (err) => out.destroy(err));
  return out;
}

/** The DEBS files of --input: the file itself, or every .csv / .csv.gz / .zip of a folder, by name. */
export async function debsFiles(input: string): Promise<string[]> {
  if (!existsSync(input)) throw new ConfigError(`input ${input} does not exist`);
  if (!statSync(input).isDirectory()) return [input];
  const files = (await readdir(input)).filter((name) => /\.(csv|csv\.gz|zip)$/i.test(name)).sort().map((name) => join(input, name));
  if (files.length === 0) throw new UserError('TIPSTREAM_INPUT', `no .csv (or .csv.gz or .zip) file in ${input}; the debs format reads DEBS 2015 rows`);
  return files;
}

const DATA_NAME = /^trip_data_(\d+)(.*)\.(csv|csv\.gz|zip)$/i;

/** FOIL pairs for a folder (every trip_data_N with its trip_fare_N, by N) or for one trip_data file. */
export async function foilPairs(input: string): Promise<FoilPair[]> {
  if (!existsSync(input)) throw new ConfigError(`input ${input} does not exist`);
  const isDir = statSync(input).isDirectory();
  const dir = isDir ? input : dirname(input);
  const names = isDir ? await readdir(dir) : [basename(input)];
  const pairs: FoilPair[] = [];
  for (const name of names) {
    const match = DATA_NAME.exec(name);
    if (!match) continue;
    const fareName = `trip_fare_${match[1]}${match[2]}.${match[3]}`;
    if (!existsSync(join(dir, fareName))) throw new UserError('TIPSTREAM_INPUT', `${join(dir, name)} has no matching ${fareName} beside it`);
    pairs.push({ n: Number(match[1]), tripData: join(dir, name), tripFare: join(dir, fareName) });
  }
  if (pairs.length === 0) {
    throw new UserError('TIPSTREAM_INPUT', `no trip_data_N.csv (or .csv.gz or .zip) found ${isDir ? `in ${input}` : `at ${input}`}; the foil format reads trip_data_N / trip_fare_N pairs`);
  }
  return pairs.sort((a, b) => a.n - b.n || a.tripData.localeCompare(b.tripData));
}
