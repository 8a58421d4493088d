// The dashboard in a real browser (Debian's headless Chromium through playwright-core) on the
// real Cassandra: the first view ranks the whole run exactly as `npm start` does (the same
// function) on a map fitted to the data, with boroughs and names; a tooltip shows the figures
// `tipstream results` prints; a window result written while the page is open moves the span
// within 2 s; a neighborhood's chart has one point per stored window and its CSV the same; the
// page logs no console error; and a bounded fuzz of the HTTP API never gets a 5xx. Prints the
// first-load and result-to-map times and the bytes served.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { get } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import cassandra from 'cassandra-driver';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig, projectRoot, type ResolvedConfig } from '../../common/config.js';
import { ResultsTable, type WindowResult } from '../../clients/index.js';
import { cassandraOptions } from '../../common/client-options.js';
import { rankNeighborhoods } from '../../cli/results-order.js';
import { uniqueName } from '../support/kafka.js';
import { spawnDashboard, type DashboardProcess } from '../support/dashboard-process.js';
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

// An older run, half a year before: the first view must leave it out.
const W0 = '2012-06-01T12:01:00.000Z';
const W1 = '2013-01-01T01:01:00.000Z';
const W2 = '2013-01-01T01:02:00.000Z';
const W3 = '2013-01-01T01:03:00.000Z';
const window0 = [result(W0, 'Harlem', 40, 3.2), result(W0, 'Midtown', 40, 0.2)];
const window1 = [result(W1, 'Midtown', 40, 0.8), result(W1, 'Chelsea', 16, 0.6), result(W1, 'SoHo', 14, 1.2)];
const window2 = [
  result(W2, 'Midtown', 48, 0.84),
  result(W2, 'Upper East Side', 32, 1.04),
  result(W2, 'Upper West Side', 24, 0.96),
  result(W2, 'SoHo', 18, 1.28),
  result(W2, 'Tribeca', 6, 1.12),
  result(W2, 'Gramercy', 20, 0.72),
  result(W2, 'Chelsea', 22, 0.4),
  result(W2, 'Financial District', 4, 2.4),
];
// Chelsea goes from among the worst tip per mile to the best.
const window3 = [result(W3, 'Midtown', 44, 0.88), result(W3, 'SoHo', 16, 1.2), result(W3, 'Chelsea', 60, 2.4), result(W3, 'Gramercy', 12, 0.64)];
/** The dashboard's default minimum, npm start's. */
const MIN_RIDES = 10;

let table: ResultsTable;
let dashboard: DashboardProcess | undefined;
let dashboardBehindProxy: DashboardProcess | undefined;
let proxy: TcpProxy | undefined;
let context: BrowserContext | undefined;
let userDataDir: string | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: the browser test needs Debian's chromium package (apt-get install chromium)`);
  table = await ResultsTable.open(cassandraOptions(config), { createSchema: true });
  for (const row of [...window0, ...window1, ...window2]) await table.upsert(row);
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

/** `tipstream dashboard` on this test's keyspace, as a person runs it. */
function startDashboardCommand(env: NodeJS.ProcessEnv = process.env): Promise<DashboardProcess> {
  return spawnDashboard(['--keyspace', keyspace, '--where', 'City=New York'], env);
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
  getBounds(): { contains(lngLat: [number, number]): boolean };
  queryRenderedFeatures(point?: [number, number], options?: { layers: string[] }): Array<{ properties: { name: string }; state: { fill?: string } }>;
  getFeatureState(feature: { source: string; id: string }): { fill?: string };
}

/** What the page keeps in `window.tipstream`, as far as the tests read it. */
interface PageState {
  map: MapLike;
  chart: { data: Array<Array<number | null>> } | null;
  state: { summary: { from: string; to: string; ranked: string[]; totals: Array<{ neighborhood: string }> } | null; follow: boolean; preset: string };
}

/** Waits until the page shows the span ending at `to`, its map loaded. */
async function spanShown(page: Page, to: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (end) => {
      const t = (window as unknown as { tipstream?: PageState }).tipstream;
      return t !== undefined && t.state.summary?.to === end && t.map.loaded();
    },
    to,
    { timeout },
  );
}

const rankedList = (page: Page, list: 'top' | 'bottom') => page.locator(`#${list} li`).evaluateAll((items) => items.map((li) => li.getAttribute('data-neighborhood')));

/** The stored rows of the windows from `from` to `to`, read back from Cassandra. */
async function storedBetween(from: string, to: string): Promise<WindowResult[]> {
  return (await table.read()).filter((r) => Date.parse(r.windowEnd) >= Date.parse(from) && Date.parse(r.windowEnd) <= Date.parse(to));
}

function consoleErrorsOf(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

it('opens on the whole run ranked as npm start ranks it, on a map fitted to the data with boroughs and names, and follows a new window within 2 s', async () => {
  const page = await context!.newPage();
  await page.setViewportSize({ width: 1400, height: 900 });
  const consoleErrors = consoleErrorsOf(page);
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
  await spanShown(page, W2);
  const firstLoadMs = Date.now() - loadStarted;

  // The run is W1 and W2 (W0 is half a year before): ranked by npm start's own function.
  const summary = await page.evaluate(() => (window as unknown as { tipstream: PageState }).tipstream.state.summary!);
  expect(summary.from).toBe(W1);
  const expected = rankNeighborhoods(await storedBetween(W1, W2), MIN_RIDES).map((t) => t.neighborhood);
  expect(expected).toEqual(['SoHo', 'Upper East Side', 'Upper West Side', 'Midtown', 'Gramercy', 'Chelsea']);
  expect(summary.ranked).toEqual(expected);
  expect(await rankedList(page, 'top')).toEqual(expected.slice(0, 15));
  expect(await page.locator('[data-neighborhood="Harlem"]').count()).toBe(0);
  // Tribeca (6 rides) and Financial District (4) are grey and unranked; Harlem, of the old run, hatched.
  const fillOf = (name: string) => page.evaluate((n) => (window as unknown as { tipstream: PageState }).tipstream.map.getFeatureState({ source: 'neighborhoods', id: n }).fill ?? null, name);
  expect(await fillOf('Tribeca')).toBe('#9e9e9e');
  expect(await fillOf('Financial District')).toBe('#9e9e9e');
  expect(await fillOf('Harlem')).toBeNull();
  expect(await fillOf('SoHo')).toBe(TOP_COLOUR);

  // The map's bounds hold every point of every neighborhood with data.
  const outside = await page.evaluate(async (names) => {
    const { map } = (window as unknown as { tipstream: PageState }).tipstream;
    const geojson = (await (await fetch('/api/neighborhoods.geojson')).json()) as { features: Array<{ properties: { name: string }; geometry: { coordinates: unknown } }> };
    const bounds = map.getBounds();
    const missed: string[] = [];
    const check = (name: string, c: unknown): void => {
      if (typeof (c as number[])[0] === 'number') {
        if (!bounds.contains(c as [number, number])) missed.push(name);
      } else (c as unknown[]).forEach((inner) => check(name, inner));
    };
    for (const f of geojson.features) if (names.includes(f.properties.name)) check(f.properties.name, f.geometry.coordinates);
    return [...new Set(missed)];
  }, summary.totals.map((t) => t.neighborhood));
  expect(outside).toEqual([]);

  // What the page shows, said in words; the legend's numbers; boroughs and names on the map.
  const info = await page.locator('#info').innerText();
  expect(info).toContain(`keyspace ${keyspace}`);
  expect(info).toContain('1-minute windows');
  expect(info).toContain('3 stored, newest ending 2013-01-01 01:02 UTC');
  expect(info).toContain('the whole run: 2 windows');
  const legend = await page.locator('#legend').innerText();
  expect(legend).toMatch(/\$\d+\.\d\d/);
  expect(legend).toContain(`fewer than ${MIN_RIDES} rides`);
  expect(legend).toContain('hatched: no rides in the span');
  await page.waitForFunction(() => [...document.querySelectorAll('#labels .borough')].some((l) => l.textContent === 'Manhattan'));
  expect(await page.locator('#labels div:not(.borough)', { hasText: 'Midtown' }).count()).toBe(1);

  mkdirSync(outputDir, { recursive: true });
  await page.screenshot({ path: join(outputDir, 'dashboard.png') });

  // The tooltip of a neighborhood: its totals over the run, as npm start prints them.
  const soho = rankNeighborhoods(await storedBetween(W1, W2), MIN_RIDES).find((t) => t.neighborhood === 'SoHo')!;
  await page.mouse.move(0, 0);
  const { x, y } = await pointIn(page, 'SoHo');
  await page.mouse.move(x, y);
  await page.waitForSelector('#tooltip:not([hidden])');
  const tooltip = await page.locator('#tooltip').innerText();
  expect(tooltip).toMatch(new RegExp(`rides\\s+${soho.rides}\\b`));
  expect(tooltip).toMatch(new RegExp(`avg fare\\s+\\$${soho.averageFare.toFixed(2)}\\b`));
  expect(tooltip).toMatch(new RegExp(`tip per mile\\s+\\$${soho.tipPerMile!.toFixed(2)}\\b`));
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => document.getElementById('health')?.textContent?.includes('Cassandra up'));

  // A new window lands in Cassandra: windows are being produced, so the page follows the rolling span.
  const written = Date.now();
  for (const row of window3) await table.upsert(row);
  const live = rankNeighborhoods(await storedBetween(W1, W3), MIN_RIDES).map((t) => t.neighborhood);
  expect(live[0]).toBe('Chelsea');
  await page.waitForFunction(
    ({ w3, names }) => {
      const { state } = (window as unknown as { tipstream: PageState }).tipstream;
      const shown = [...document.querySelectorAll('#top li')].map((li) => li.getAttribute('data-neighborhood'));
      return state.summary?.to === w3 && state.follow && JSON.stringify(shown) === JSON.stringify(names);
    },
    { w3: W3, names: live.slice(0, 15) },
    { timeout: 2_000 },
  );
  const resultToMapMs = Date.now() - written;
  expect(await fillOf('Chelsea')).toBe(TOP_COLOUR);
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
  expect(assets.get('/vendor/uplot/uPlot.esm.js')?.encoding).toBe('br');
  expect(bytes('sent', '.geojson')).toBeLessThan(bytes('raw', '.geojson') / 2);
  process.stdout.write(
    `dashboard: first load ${firstLoadMs} ms (page, MapLibre, boundaries and the run's totals to a loaded map); ` +
      `result written to Cassandra to map and ranked list ${resultToMapMs} ms; ` +
      `JavaScript ${bytes('raw', ...js)} bytes raw, ${bytes('sent', ...js)} sent compressed; GeoJSON ${bytes('raw', '.geojson')} bytes raw, ${bytes('sent', '.geojson')} sent compressed; ` +
      `per file (raw/sent, encoding): ${[...assets].map(([path, n]) => `${path} ${n.raw}/${n.sent} ${n.encoding}`).join(', ')}\n`,
  );
  await page.close();
});

it("draws a neighborhood's tip per mile per stored window beside the city's, and the CSV holds the same points", async () => {
  const page = await context!.newPage();
  await page.setViewportSize({ width: 1400, height: 900 });
  const consoleErrors = consoleErrorsOf(page);
  await page.goto(`${dashboard!.url}/`);
  await spanShown(page, W3);
  await page.locator('#top li[data-neighborhood="Chelsea"]').click();
  await page.waitForFunction(() => (window as unknown as { tipstream: PageState }).tipstream.chart !== null && !document.getElementById('chart-panel')!.hidden);
  const data = await page.evaluate(() => (window as unknown as { tipstream: PageState }).tipstream.chart!.data);
  const [xs, tipPerMile, cityTipPerMile, rides] = data as [number[], Array<number | null>, Array<number | null>, Array<number | null>];

  // One point per window of the run, the figures as stored.
  const stored = await storedBetween(W1, W3);
  const windowEnds = [...new Set(stored.map((r) => r.windowEnd))].sort();
  expect(xs.map((s) => new Date(s * 1000).toISOString())).toEqual(windowEnds);
  const chelsea = (await table.read({ neighborhood: 'Chelsea' })).filter((r) => windowEnds.includes(r.windowEnd));
  expect(chelsea).toHaveLength(3);
  windowEnds.forEach((windowEnd, i) => {
    const row = chelsea.find((r) => r.windowEnd === windowEnd)!;
    expect(rides[i]).toBe(row.rideCount);
    expect(tipPerMile[i]).toBeCloseTo(row.averageTipPerMile!, 10);
    const city = stored.filter((r) => r.windowEnd === windowEnd);
    expect(cityTipPerMile[i]).toBeCloseTo(city.reduce((s, r) => s + r.totalTipAmount, 0) / city.reduce((s, r) => s + r.totalDistanceMiles, 0), 10);
  });

  // The CSV link holds exactly the chart's points.
  const csv = await page.evaluate(async () => (await fetch((document.getElementById('csv') as HTMLAnchorElement).href)).text());
  const [header, ...lines] = csv.trim().split('\n');
  expect(header).toBe('window_start,window_end,neighborhood,rides,tip_per_mile,city_rides,city_tip_per_mile');
  expect(lines).toHaveLength(xs.length);
  lines.forEach((line, i) => {
    const [, windowEnd, name, r, t, , c] = line.split(',');
    expect(windowEnd).toBe(new Date(xs[i]! * 1000).toISOString());
    expect(name).toBe('Chelsea');
    expect(Number(r)).toBe(rides[i]);
    expect(Number(t)).toBe(tipPerMile[i]);
    expect(Number(c)).toBe(cityTipPerMile[i]);
  });
  mkdirSync(outputDir, { recursive: true });
  await page.screenshot({ path: join(outputDir, 'dashboard-chart.png') });

  // One window, as `tipstream results` prints it.
  await page.selectOption('#preset', 'window');
  await page.waitForFunction((w3) => (window as unknown as { tipstream: PageState }).tipstream.state.summary?.from === w3, W3);
  const [wRides, fare, tip, wTipPerMile] = await resultsLine('Midtown', W3);
  await page.mouse.move(0, 0);
  const { x, y } = await pointIn(page, 'Midtown');
  await page.mouse.move(x, y);
  await page.waitForSelector('#tooltip:not([hidden])');
  const tooltip = await page.locator('#tooltip').innerText();
  expect(tooltip).toMatch(new RegExp(`rides\\s+${wRides}\\b`));
  expect(tooltip).toMatch(new RegExp(`avg fare\\s+\\$${fare}\\b`));
  expect(tooltip).toMatch(new RegExp(`avg tip\\s+\\$${tip}\\b`));
  expect(tooltip).toMatch(new RegExp(`tip per mile\\s+\\$${wTipPerMile}\\b`));
  expect(consoleErrors).toEqual([]);
  await page.close();
});

it('answers a bad query parameter with a 400 that names it', async () => {
  const expect400 = async (path: string, parameter: string) => {
    const response = await fetch(`${dashboard!.url}${path}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ parameter });
  };
  await expect400('/api/results?windowEnd=yesterday', 'windowEnd');
  await expect400('/api/results', 'windowEnd');
  await expect400('/?minRides=few', 'minRides');
  await expect400('/?span=0', 'span');
  await expect400(`/api/summary?from=${W2}`, 'to');
  await expect400(`/api/summary?from=${W3}&to=${W1}`, 'from');
  await expect400(`/api/series?from=${W1}&to=${W3}`, 'neighborhood');
  const rows = (await (await fetch(`${dashboard!.url}/api/results?windowEnd=${W2}`)).json()) as { rows: WindowResult[] };
  expect(rows.rows.map((r) => r.neighborhood).sort()).toEqual(window2.map((r) => r.neighborhood).sort());
});

/** One raw HTTP request (paths are sent as written, `..` and all); the status, or the error. */
function rawRequest(url: string, options: { method: string; path: string; headers?: Record<string, string>; body?: string; dropAfterHeaders?: boolean }): Promise<number | Error> {
  const { hostname, port } = new URL(url);
  return new Promise((settle) => {
    const req = httpRequest({ host: hostname, port, method: options.method, path: options.path, headers: options.headers, timeout: 30_000 }, (response) => {
      if (options.dropAfterHeaders) {
        response.destroy();
        settle(response.statusCode ?? 0);
        return;
      }
      response.resume();
      response.on('end', () => settle(response.statusCode ?? 0));
      response.on('error', (err) => settle(err));
    });
    req.on('timeout', () => req.destroy(new Error(`${options.method} ${options.path}: no answer within 30 s`)));
    req.on('error', (err) => settle(err));
    req.end(options.body);
  });
}

it('keeps client errors 4xx (a traversal path is no outage) and answers HEAD on the event stream', async () => {
  for (const path of ['/../package.json', '/%2e%2e/package.json', '/vendor/maplibre-gl/../../../package.json', '/vendor/uplot/%2e%2e/%2e%2e/package.json']) {
    const status = await rawRequest(dashboard!.url, { method: 'GET', path });
    expect([path, status]).toEqual([path, expect.any(Number)]);
    expect(status as number).toBeGreaterThanOrEqual(400);
    expect(status as number).toBeLessThan(500);
  }
  const head = await new Promise<{ status: number; type: string }>((settle, reject) => {
    const { hostname, port } = new URL(dashboard!.url);
    httpRequest({ host: hostname, port, method: 'HEAD', path: '/api/events', timeout: 10_000 }, (response) => {
      response.resume();
      response.on('end', () => settle({ status: response.statusCode ?? 0, type: String(response.headers['content-type']) }));
    })
      .on('timeout', () => reject(new Error('HEAD /api/events did not end within 10 s')))
      .on('error', reject)
      .end();
  });
  expect(head).toEqual({ status: 200, type: 'text/event-stream' });
});

/** A small seeded generator (mulberry32): the same requests on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it('gets no 5xx from a bounded fuzz of paths, queries, methods, headers and dropped event streams', async () => {
  const random = seeded(25);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const paths = ['/', '/app.js', '/chart.js', '/style.css', '/api/settings', '/api/windows', '/api/health', '/api/summary', '/api/series', '/api/results', '/api/events', '/api/neighborhoods.geojson', '/vendor/uplot/uPlot.esm.js', '/vendor/maplibre-gl/maplibre-gl.css', '/nope', '//', '/api/', '/../package.json', '/%2e%2e/%2e%2e/etc/passwd', '/vendor/../package.json', '/%00', '/%zz', `/${'a'.repeat(3000)}`];
  const keys = ['from', 'to', 'neighborhood', 'windowEnd', 'minRides', 'span', 'x', '__proto__', 'from[]'];
  const values = [W1, W2, W3, '', 'yesterday', '-1', '0', '1e309', 'NaN', '%', '%zz', '"><script>', 'Midtown', 'Chelsea', '9'.repeat(40), '2013-13-45T99:00:00Z'];
  const methods = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
  const headerSets: Array<Record<string, string>> = [{}, { 'accept-encoding': 'br' }, { 'accept-encoding': 'x-unknown;q=2, *;q=-1' }, { range: 'bytes=9999999-1' }, { 'content-type': 'application/json' }, { 'if-none-match': '"zz"' }, { accept: 'text/event-stream' }];
  const MAX_REQUESTS = 1_500;
  // A bound on the run's length, not an assertion on its speed: the requests stop being sent there.
  const stopAt = Date.now() + 120_000;
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let sent = 0;
  const worker = async () => {
    while (sent < MAX_REQUESTS && Date.now() < stopAt) {
      sent++;
      const path = pick(paths);
      const query = Array.from({ length: Math.floor(random() * 4) }, () => `${encodeURIComponent(pick(keys))}=${random() < 0.2 ? pick(values) : encodeURIComponent(pick(values))}`).join('&');
      const method = pick(methods);
      const target = query ? `${path}?${query}` : path;
      const outcome = await rawRequest(dashboard!.url, {
        method,
        path: target,
        headers: pick(headerSets),
        ...(method === 'POST' || method === 'PUT' ? { body: pick(['{', '{}', 'x'.repeat(2000), '']) } : {}),
        dropAfterHeaders: path === '/api/events' || random() < 0.05,
      });
      if (outcome instanceof Error) failures.push(`${method} ${target.slice(0, 80)}: ${outcome.message}`);
      else {
        statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
        if (outcome >= 500) failures.push(`${method} ${target.slice(0, 80)}: ${outcome}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  process.stdout.write(`dashboard fuzz: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}\n`);
  expect(failures).toEqual([]);
  expect(sent).toBeGreaterThanOrEqual(200);
  expect(statuses.get(200)).toBeGreaterThan(0);
  expect(statuses.get(400)).toBeGreaterThan(0);
  // Still up and serving afterwards.
  expect((await fetch(`${dashboard!.url}/api/health`)).status).toBe(200);
});

it('keeps the last map and says so while Cassandra is unreachable, and recovers', async () => {
  proxy = new TcpProxy({ host: base.cassandra.contactPoints[0]!, port: base.cassandra.port });
  await proxy.up();
  dashboardBehindProxy = await startDashboardCommand({ ...process.env, TIPSTREAM_CASSANDRA_PORT: String(proxy.port) });
  const page = await context!.newPage();
  const consoleErrors: string[] = [];
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  await page.goto(`${dashboardBehindProxy.url}/`);
  await spanShown(page, W3);
  const healthText = () => page.evaluate(() => document.getElementById('health')?.textContent ?? '');
  await page.waitForFunction(() => document.getElementById('health')?.textContent?.includes('Cassandra up'));
  const fillOfChelsea = () => page.evaluate(() => (window as unknown as { tipstream: PageState }).tipstream.map.getFeatureState({ source: 'neighborhoods', id: 'Chelsea' }).fill);
  const before = { fill: await fillOfChelsea(), top: await rankedList(page, 'top') };

  await proxy.down();
  await page.waitForFunction(() => document.getElementById('health')?.textContent?.includes('Cassandra unreachable'), undefined, { timeout: 30_000 });
  expect(await healthText()).toMatch(/Cassandra unreachable \(.+\): showing the last data/);
  // The last span stays on the map and in the list.
  expect({ fill: await fillOfChelsea(), top: await rankedList(page, 'top') }).toEqual(before);
  expect(before.fill).toBe(TOP_COLOUR);

  await proxy.up();
  await page.waitForFunction(() => document.getElementById('health')?.textContent?.includes('Cassandra up'), undefined, { timeout: 60_000 });
  expect(consoleErrors).toEqual([]);
  await page.close();
});
