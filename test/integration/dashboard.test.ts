// The dashboard in a real browser (Debian's headless Chromium through playwright-core) on the
// real Cassandra: the map loads, a tooltip shows the figures `tipstream results` prints, a window
// result written while the page is open shows on the map and in the ranked list within 2 s, and
// the page logs no console error. Prints the first-load and result-to-map times and the bytes served.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import cassandra from 'cassandra-driver';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig, projectRoot, type ResolvedConfig } from '../../common/config.js';
import { ResultsTable, type WindowResult } from '../../clients/index.js';
import { uniqueName } from '../support/kafka.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** The top class of the page's palette: the best tip per mile of a window is always in it. */
const TOP_COLOUR = '#253494';
const outputDir = resolve(projectRoot, 'test-output');

const base = loadConfig();
const keyspace = `dashboard_${uniqueName('t').slice(2).replace(/-/g, '')}`;
const config: ResolvedConfig = loadConfig({ overrides: { cassandra: { keyspace }, udf: { where: 'City=New York' } } });
const execFileAsync = promisify(execFile);

/** One window's result for a neighborhood, with figures that print exactly at two decimals. */
function result(windowEnd: string, neighborhood: string, rides: number, tipPerMile: number): WindowResult {
  const miles = rides * 2.5;
  const tip = tipPerMile * miles;
  const fare = rides * 12.5;
  return {
    windowStart: new Date(Date.parse(windowEnd) - 60_000).toISOString(),
    windowEnd,
    neighborhood,
    rideCount: rides,
    totalFareAmount: fare,
    totalTipAmount: tip,
    averageFareAmount: fare / rides,
    averageTipAmount: tip / rides,
    totalDistanceMiles: miles,
    averageTipPerMile: tipPerMile,
  };
}

const W1 = '2013-01-01T01:01:00.000Z';
const W2 = '2013-01-01T01:02:00.000Z';
const W3 = '2013-01-01T01:03:00.000Z';
const window1 = [result(W1, 'Midtown', 20, 0.8), result(W1, 'Chelsea', 8, 0.6), result(W1, 'SoHo', 7, 1.2)];
const window2 = [
  result(W2, 'Midtown', 24, 0.84),
  result(W2, 'Upper East Side', 16, 1.04),
  result(W2, 'Upper West Side', 12, 0.96),
  result(W2, 'SoHo', 9, 1.28),
  result(W2, 'Tribeca', 6, 1.12),
  result(W2, 'Gramercy', 10, 0.72),
  result(W2, 'Chelsea', 11, 0.4),
  result(W2, 'Financial District', 2, 2.4),
];
// Chelsea goes from the worst tip per mile to the best.
const window3 = [result(W3, 'Midtown', 22, 0.88), result(W3, 'SoHo', 8, 1.2), result(W3, 'Chelsea', 9, 1.6), result(W3, 'Gramercy', 6, 0.64)];

let table: ResultsTable;
let dashboard: { url: string; process: ChildProcess } | undefined;
let dashboardBehindProxy: { url: string; process: ChildProcess } | undefined;
let proxy: TcpProxy | undefined;
let context: BrowserContext | undefined;
let userDataDir: string | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: the browser test needs Debian's chromium package (apt-get install chromium)`);
  table = await ResultsTable.open(config, { createSchema: true });
  for (const row of [...window1, ...window2]) await table.upsert(row);
  dashboard = await startDashboardCommand();
  userDataDir = mkdtempSync(join(tmpdir(), 'tipstream-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1100, height: 700 } });
});

afterAll(async () => {
  await context?.close();
  for (const started of [dashboard, dashboardBehindProxy]) {
    if (started?.process.exitCode !== null) continue;
    started.process.kill('SIGTERM');
    await once(started.process, 'exit');
  }
  await proxy?.down();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await table?.close();
  const client = new cassandra.Client({ contactPoints: base.cassandra.contactPoints, localDataCenter: base.cassandra.localDataCenter, protocolOptions: { port: base.cassandra.port } });
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown();
});

/**
 * `tipstream dashboard` as a person runs it, on a free port. A process of its own rather than
 * in-process: @fastify/static's ES-module dependencies cannot be required under jest's VM modules
 * on Node 22.
 */
async function startDashboardCommand(env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; process: ChildProcess }> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  const child = spawn(process.execPath, ['bin/tipstream.js', 'dashboard', '--port', String(port), '--keyspace', keyspace, '--where', 'City=New York'], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const deadline = setTimeout(() => {
      // A child left running would keep jest alive after the failure.
      child.kill('SIGTERM');
      reject(new Error(`tipstream dashboard did not start within 120 s:\n${stderr}`));
    }, 120_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /dashboard: (http:\/\/\S+?)\/ /.exec(stderr);
      if (match) {
        clearTimeout(deadline);
        resolveUrl(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(deadline);
      reject(new Error(`tipstream dashboard exited with ${code}:\n${stderr}`));
    });
  });
  return { url, process: child };
}

/** The body bytes of a GET as received, still encoded, and its content-encoding. */
function bytesOnTheWire(url: string, acceptEncoding: string): Promise<{ sent: number; encoding: string }> {
  return new Promise((resolveBytes, reject) => {
    get(url, { headers: { 'accept-encoding': acceptEncoding } }, (response) => {
      let sent = 0;
      response.on('data', (chunk: Buffer) => (sent += chunk.length));
      response.on('end', () => resolveBytes({ sent, encoding: String(response.headers['content-encoding'] ?? 'identity') }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** The figures of a neighborhood's line in `tipstream results`: rides, avg fare, avg tip, tip/mile. */
async function resultsLine(neighborhood: string, windowEnd: string): Promise<string[]> {
  const { stdout } = await execFileAsync(process.execPath, ['bin/tipstream.js', 'results', '--keyspace', keyspace, '--neighborhood', neighborhood], { cwd: projectRoot });
  const when = windowEnd.replace('T', ' ').slice(0, 19);
  const line = stdout.split('\n').find((l) => l.startsWith(neighborhood.padEnd(32)) && l.includes(when));
  if (!line) throw new Error(`tipstream results printed no line for ${neighborhood} at ${when}:\n${stdout}`);
  return line.slice(33 + 20).trim().split(/\s+/);
}

/** A point of the page inside the neighborhood's rendered polygon. */
async function pointIn(page: Page, neighborhood: string): Promise<{ x: number; y: number }> {
  const point = await page.evaluate((name) => {
    const { map } = (window as unknown as { tipstream: { map: MapLike } }).tipstream;
    const box = map.getContainer().getBoundingClientRect();
    for (let y = 5; y < box.height; y += 5) {
      for (let x = 5; x < box.width; x += 5) {
        const hit = map.queryRenderedFeatures([x, y], { layers: ['neighborhood-fill'] })[0];
        if (hit?.properties.name === name) return { x: box.left + x, y: box.top + y };
      }
    }
    return null;
  }, neighborhood);
  if (!point) throw new Error(`${neighborhood} is not on the rendered map`);
  return point;
}

/** The parts of maplibregl.Map the page functions use (they run in the browser, typed here). */
interface MapLike {
  loaded(): boolean;
  getContainer(): HTMLElement;
  queryRenderedFeatures(point?: [number, number], options?: { layers: string[] }): Array<{ properties: { name: string }; state: { fill?: string } }>;
  getFeatureState(feature: { source: string; id: string }): { fill?: string };
}

it('shows the stored windows on a map in Chromium and a new window result within 2 s', async () => {
  const page = await context!.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  // Per path the page loaded: the body as the page reads it, and the encoding the browser asked for.
  const served = new Map<string, { raw: number; acceptEncoding: string }>();
  page.on('response', (response) => {
    void Promise.all([response.body(), response.request().allHeaders()]).then(
      ([body, headers]) => served.set(new URL(response.url()).pathname, { raw: body.length, acceptEncoding: headers['accept-encoding'] ?? '' }),
      () => undefined,
    );
  });

  const loadStarted = Date.now();
  await page.goto(`${dashboard!.url}/`);
  await page.waitForFunction((w2) => {
    const t = (window as unknown as { tipstream?: { map: MapLike; state: { shown: string } } }).tipstream;
    return t !== undefined && t.state.shown === w2 && t.map.loaded();
  }, W2);
  const firstLoadMs = Date.now() - loadStarted;

  // The tooltip of a known neighborhood: the figures `tipstream results` prints.
  const [rides, fare, tip, tipPerMile] = await resultsLine('Upper East Side', W2);
  await page.mouse.move(0, 0);
  const { x, y } = await pointIn(page, 'Upper East Side');
  await page.mouse.move(x, y);
  await page.waitForSelector('#tooltip:not([hidden])');
  const tooltip = await page.locator('#tooltip').innerText();
  expect(tooltip).toContain('Upper East Side');
  expect(tooltip).toMatch(new RegExp(`rides\\s+${rides}\\b`));
  expect(tooltip).toMatch(new RegExp(`avg fare\\s+\\$${fare}\\b`));
  expect(tooltip).toMatch(new RegExp(`avg tip\\s+\\$${tip}\\b`));
  expect(tooltip).toMatch(new RegExp(`tip per mile\\s+\\$${tipPerMile}\\b`));
  await page.mouse.move(0, 0);

  // Window 2 as stored: ranked by tip per mile, Financial District (2 rides) greyed out, not ranked.
  expect(await page.locator('#top li').first().getAttribute('data-neighborhood')).toBe('SoHo');
  expect(await page.locator('#bottom li').first().getAttribute('data-neighborhood')).toBe('Chelsea');
  expect(await page.locator('[data-neighborhood="Financial District"]').count()).toBe(0);
  const fillOf = (name: string) =>
    page.evaluate((n) => (window as unknown as { tipstream: { map: MapLike } }).tipstream.map.getFeatureState({ source: 'neighborhoods', id: n }).fill ?? null, name);
  expect(await fillOf('Chelsea')).not.toBe(TOP_COLOUR);
  expect(await fillOf('Financial District')).toBe('#9e9e9e');
  await page.waitForFunction(() => document.getElementById('health')?.textContent?.includes('Cassandra up'));

  // A new window lands in Cassandra: the page follows it, Chelsea now best.
  const written = Date.now();
  for (const row of window3) await table.upsert(row);
  await page.waitForFunction(
    ({ w3, colour }) => {
      const { map, state } = (window as unknown as { tipstream: { map: MapLike; state: { shown: string } } }).tipstream;
      const rendered = map.queryRenderedFeatures(undefined, { layers: ['neighborhood-fill'] }).find((f) => f.properties.name === 'Chelsea');
      const first = document.querySelector('#top li');
      return state.shown === w3 && rendered?.state.fill === colour && first?.getAttribute('data-neighborhood') === 'Chelsea';
    },
    { w3: W3, colour: TOP_COLOUR },
    { timeout: 2_000 },
  );
  const resultToMapMs = Date.now() - written;

  mkdirSync(outputDir, { recursive: true });
  await page.screenshot({ path: join(outputDir, 'dashboard.png') });
  expect(consoleErrors).toEqual([]);

  // The same files again, as they go over the wire with the browser's Accept-Encoding (the
  // worker's request has no size in the page's records): compressed bytes and the encoding used.
  const assets = new Map<string, { raw: number; sent: number; encoding: string }>();
  for (const [path, { raw, acceptEncoding }] of served) {
    if (!/\.(m?js|geojson)$/.test(path)) continue;
    assets.set(path, { raw, ...(await bytesOnTheWire(`${dashboard!.url}${path}`, acceptEncoding || 'gzip, deflate, br, zstd')) });
  }
  const bytes = (kind: 'raw' | 'sent', ...suffixes: string[]) =>
    [...assets].filter(([path]) => suffixes.some((suffix) => path.endsWith(suffix))).reduce((sum, [, n]) => sum + n[kind], 0);
  const js = ['.js', '.mjs'];
  // Compressed as the browser asked (brotli): the bytes on the wire are well under the raw ones.
  expect(bytes('sent', ...js)).toBeLessThan(bytes('raw', ...js) / 2);
  expect(bytes('sent', '.geojson')).toBeLessThan(bytes('raw', '.geojson') / 2);
  process.stdout.write(
    `dashboard: first load ${firstLoadMs} ms (page, MapLibre, boundaries and stored windows to a loaded map); ` +
      `result written to Cassandra to map and ranked list ${resultToMapMs} ms; ` +
      `JavaScript ${bytes('raw', ...js)} bytes raw, ${bytes('sent', ...js)} sent compressed; GeoJSON ${bytes('raw', '.geojson')} bytes raw, ${bytes('sent', '.geojson')} sent compressed; ` +
      `per file (raw/sent, encoding): ${[...assets].map(([path, n]) => `${path} ${n.raw}/${n.sent} ${n.encoding}`).join(', ')}\n`,
  );
  await page.close();
});

it('answers a bad query parameter with a 400 that names it', async () => {
  const bad = await fetch(`${dashboard!.url}/api/results?windowEnd=yesterday`);
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ parameter: 'windowEnd' });
  const missing = await fetch(`${dashboard!.url}/api/results`);
  expect(missing.status).toBe(400);
  expect(await missing.json()).toMatchObject({ parameter: 'windowEnd' });
  const page = await fetch(`${dashboard!.url}/?minRides=few`);
  expect(page.status).toBe(400);
  expect(await page.json()).toMatchObject({ parameter: 'minRides' });
  const rows = (await (await fetch(`${dashboard!.url}/api/results?windowEnd=${W2}`)).json()) as { rows: WindowResult[] };
  expect(rows.rows.map((r) => r.neighborhood).sort()).toEqual(window2.map((r) => r.neighborhood).sort());
});

it('keeps the last map and says so while Cassandra is unreachable, and recovers', async () => {
  proxy = new TcpProxy({ host: base.cassandra.contactPoints[0]!, port: base.cassandra.port });
  await proxy.up();
  dashboardBehindProxy = await startDashboardCommand({ ...process.env, TIPSTREAM_CASSANDRA_PORT: String(proxy.port) });
  const page = await context!.newPage();
  const consoleErrors: string[] = [];
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  await page.goto(`${dashboardBehindProxy.url}/`);
  await page.waitForFunction((w3) => {
    const t = (window as unknown as { tipstream?: { map: MapLike; state: { shown: string } } }).tipstream;
    return t !== undefined && t.state.shown === w3 && t.map.loaded();
  }, W3);
  const healthText = () => page.evaluate(() => document.getElementById('health')?.textContent ?? '');
  await page.waitForFunction(() => document.getElementById('health')?.textContent?.includes('Cassandra up'));

  await proxy.down();
  await page.waitForFunction(() => document.getElementById('health')?.textContent?.includes('Cassandra unreachable'), undefined, { timeout: 30_000 });
  expect(await healthText()).toMatch(/Cassandra unreachable \(.+\): showing the last data/);
  // The last window stays on the map and in the list.
  const fill = await page.evaluate(() => (window as unknown as { tipstream: { map: MapLike } }).tipstream.map.getFeatureState({ source: 'neighborhoods', id: 'Chelsea' }).fill);
  expect(fill).toBe(TOP_COLOUR);
  expect(await page.locator('#top li').first().getAttribute('data-neighborhood')).toBe('Chelsea');

  await proxy.up();
  await page.waitForFunction(() => document.getElementById('health')?.textContent?.includes('Cassandra up'), undefined, { timeout: 60_000 });
  expect(consoleErrors).toEqual([]);
  await page.close();
});
