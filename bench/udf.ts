// `npm run bench:udf`: neighborhood lookups on the 200,000 real coordinates of the Flink training
// rides: in-process (the limit), over HTTP with keep-alive (the udf-service in its own process),
// and a bare node:http server answering a constant (the HTTP ceiling), measured in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { dataDir, projectRoot, sharedDataDir } from '../common/config.js';
import { loadBoundaries, NeighborhoodIndex } from '../udf-service/index.js';
import { freePort } from '../test/support/free-port.js';

const boundariesPath = join(dataDir, 'neighborhoods', 'zillow-ny', 'ZillowNeighborhoods-NY.zip');
const ridesPath = join(sharedDataDir, 'taxi', 'flink-training', 'nycTaxiRides.first100k.gz');
if (!existsSync(ridesPath)) {
  console.error(`bench:udf needs ${ridesPath} (the Flink training rides, a larger data set kept beside the team's checkout, not in data/)`);
  process.exit(1);
}
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);

function coordinates(): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  for (const line of gunzipSync(readFileSync(ridesPath)).toString('utf8').split('\n')) {
    const f = line.split(',');
    if (f.length < 8) continue;
    points.push([Number(f[4]), Number(f[5])], [Number(f[6]), Number(f[7])]);
  }
  return points.filter(([lon, lat]) => Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 90);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Lookups/s over all points: the first pass on a fresh index (no cell remembered yet), and the median of 5 more. */
function passes(points: Array<[number, number]>, lookup: (lon: number, lat: number) => string): { first: number; median: number; unknown: number } {
  const rates: number[] = [];
  let unknown = 0;
  for (let run = 0; run < 6; run++) {
    const start = process.hrtime.bigint();
    let unknownHere = 0;
    for (const [lon, lat] of points) if (lookup(lon, lat) === 'Unknown') unknownHere += 1;
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(points.length / elapsed);
    unknown = unknownHere;
  }
  return { first: rates[0]!, median: median(rates.slice(1)), unknown };
}

async function inProcess(points: Array<[number, number]>): Promise<number> {
  const { boundaries } = await loadBoundaries(boundariesPath, { nameField: 'Name' });
  // The anchor: the same index without its cell cache (Flatbush, then the exact test every time).
  const exactIndex = new NeighborhoodIndex(boundaries);
  const exact = passes(points, (lon, lat) => exactIndex.exactLookup(lon, lat));
  const cachedIndex = new NeighborhoodIndex(boundaries);
  const cached = passes(points, (lon, lat) => cachedIndex.lookup(lon, lat));
  console.log(`  ${points.length} points, ${cached.unknown} Unknown (exact test alone: ${exact.unknown})`);
  const f = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`  exact test alone        ${f(exact.median)} lookups/s (first pass ${f(exact.first)})`);
  console.log(`  with the cell cache     ${f(cached.median)} lookups/s (first pass, no cell remembered yet: ${f(cached.first)}); ${(cached.median / exact.median).toFixed(2)}x`);
  return cached.median;
}

/** Starts a server process and resolves with its URL once it listens. */
function startProcess(command: string, args: string[], parseUrl: (line: string) => string | undefined): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TIPSTREAM_LOG_LEVEL: 'warn' } });
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        const url = parseUrl(line);
        if (url) resolvePromise({ child, url });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${command} exited with ${code}`)));
  });
}

async function load(url: string, paths: string[], clients = connections, duration = seconds) {
  let next = 0;
  const result = await autocannon({
    url,
    connections: clients,
    duration,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length]! }) }],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}

/**
 * The udf-service under as many concurrent clients as a job of parallelism P can keep waiting on
 * it: each lookup subtask holds up to table.exec.async-lookup.buffer-capacity (Flink's default
 * 100) requests in flight, so P = 4 means up to 400. One process serves them all on one core: the
 * sweep shows whether its rate holds as clients grow, and what a request waits, beside the bare
 * server's at the same concurrency.
 */
async function concurrencySweep(udfUrl: string, bareUrl: string): Promise<void> {
  const levels = (process.env.BENCH_CONCURRENCY ?? '1,4,16,64,256,400').split(',').map(Number);
  const sweepSeconds = Number(process.env.BENCH_SWEEP_SECONDS ?? 5);
  console.log(`concurrent clients (keep-alive connections), ${sweepSeconds} s each; lookup subtasks hold up to 100 requests each, so parallelism 4 can keep 400 waiting:`);
  console.log(`  ${'clients'.padStart(7)} ${'udf lookups/s'.padStart(14)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(7)} ${'bare req/s'.padStart(11)} ${'udf / bare'.padStart(10)}`);
  for (const clients of levels) {
    const bareRun = await load(bareUrl, ['/'], clients, sweepSeconds);
    const udfRun = await load(udfUrl, paths, clients, sweepSeconds);
    const row = [
      String(clients).padStart(7),
      Math.round(udfRun.rps).toLocaleString('en-US').padStart(14),
      String(udfRun.p50).padStart(7),
      String(udfRun.p99).padStart(7),
      String(udfRun.errors + udfRun.non2xx).padStart(7),
      Math.round(bareRun.rps).toLocaleString('en-US').padStart(11),
      `${((udfRun.rps / bareRun.rps) * 100).toFixed(0)}%`.padStart(10),
    ];
    console.log(`  ${row.join(' ')}`);
  }
}

const points = coordinates();
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
console.log('in-process lookups (median of 5 passes after a first one):');
const inProcessRate = await inProcess(points);

const paths = points.slice(0, 20_000).map(([lon, lat]) => `/lookup?lon=${lon}&lat=${lat}`);
const udf = await startProcess('node', [resolve(projectRoot, 'bin/tipstream.js'), 'udf', 'serve', '--port', String(await freePort()), '--boundaries', boundariesPath], (l) => /listening on (http:\/\/\S+?) /.exec(l)?.[1]);
const bare = await startProcess('node', [resolve(projectRoot, 'bench/bare-http-server.js')], (l) => (/^\d+$/.test(l.trim()) ? `http://127.0.0.1:${l.trim()}` : undefined));
try {
  const udfRuns = [];
  const bareRuns = [];
  // Alternate the two servers so drift in the shared machine's load hits both alike.
  for (let round = 0; round < 3; round++) {
    bareRuns.push(await load(bare.url, ['/']));
    udfRuns.push(await load(udf.url, paths));
  }
  const udfRps = median(udfRuns.map((r) => r.rps));
  const bareRps = median(bareRuns.map((r) => r.rps));
  console.log(`HTTP, ${connections} keep-alive connections, ${seconds} s per run, median of 3 runs each:`);
  console.log(`  udf-service   ${Math.round(udfRps).toLocaleString('en-US')} lookups/s, p50 ${median(udfRuns.map((r) => r.p50))} ms, p99 ${median(udfRuns.map((r) => r.p99))} ms, non-2xx ${udfRuns.reduce((s, r) => s + r.non2xx, 0)}`);
  console.log(`  bare server   ${Math.round(bareRps).toLocaleString('en-US')} requests/s, p50 ${median(bareRuns.map((r) => r.p50))} ms, p99 ${median(bareRuns.map((r) => r.p99))} ms`);
  console.log(`ratios: udf-service / bare server = ${(udfRps / bareRps * 100).toFixed(1)}%; in-process / HTTP = ${(inProcessRate / udfRps).toFixed(1)}x`);
  await concurrencySweep(udf.url, bare.url);
} finally {
  udf.child.kill('SIGTERM');
  bare.child.kill('SIGTERM');
}
