// The dashboard beside a live run, in a real browser (Debian's headless Chromium): a window the
// relay writes moves the open chart within 2 s, and the health strip's events/s and watermark lag
// agree with the live terminal's (events/s within 20% of the generator's rate, the lag in event
// time against the live clock, not the wall's). Prints the figures.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../../common/config.js';
import type { WindowResult } from '../../clients/index.js';
import { runLive, type LiveSummary, type LiveView } from '../../cli/live/index.js';
import { HEALTH_INTERVAL_MS } from '../../cli/dashboard/job-health.js';
import { startUdfService } from '../../udf-service/index.js';
import { pollUntil } from '../../common/retry.js';
import { spawnDashboard, stopDashboardCommand, type DashboardProcess } from '../support/dashboard-process.js';
import { cleanUpLive, freshLiveConfig } from '../support/live.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const base = loadConfig();
let service: Awaited<ReturnType<typeof startUdfService>> | undefined;
let dashboard: DashboardProcess | undefined;
let context: BrowserContext | undefined;
let userDataDir: string | undefined;
const abort = new AbortController();
let run: Promise<LiveSummary> | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: the browser test needs Debian's chromium package (apt-get install chromium)`);
  service = await startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, port: 0 });
  userDataDir = mkdtempSync(join(tmpdir(), 'tipstream-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  abort.abort();
  await run?.catch(() => undefined);
  await context?.close();
  await stopDashboardCommand(dashboard);
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await service?.close();
  await cleanUpLive();
});

/** What the page keeps in `window.tipstream`, as far as this test reads it. */
interface PageState {
  chart: { data: Array<Array<number | null>> } | null;
  state: { follow: boolean; health: { job: { checkedAt: string; eventsInPerSecond: number | null; watermarkLagSeconds: number | null; pace: string } } | null };
}

/** The newest window end the open chart shows, ms since the epoch; null without a chart. */
const chartNewest = (page: Page) =>
  page.evaluate(() => {
    const xs = (window as unknown as { tipstream: PageState }).tipstream.chart?.data[0];
    return xs && xs.length > 0 ? xs[xs.length - 1]! * 1000 : null;
  });

it('moves the chart within 2 s of a new window, and its strip agrees with the live terminal', async () => {
  const started = Date.now();
  const config = await freshLiveConfig(service!.url);
  // When the relay first wrote each window (ms since the epoch by window end), and the terminal's views.
  const writtenAt = new Map<number, number>();
  const views: Array<{ at: number; view: LiveView }> = [];
  run = runLive(config, {
    speedup: 60,
    malformedRate: 0,
    signal: abort.signal,
    name: 'live-test',
    onRows: (rows: WindowResult[]) => {
      for (const row of rows) if (!writtenAt.has(Date.parse(row.windowEnd))) writtenAt.set(Date.parse(row.windowEnd), Date.now());
    },
    onView: (view) => views.push({ at: Date.now(), view }),
  });
  run.catch(() => abort.abort());
  // The dashboard reads the keyspace the relay creates, and finds the job and the live run in the run's state folder.
  await pollUntil('the live run\'s first window in Cassandra', async () => writtenAt.size > 0 || undefined, { timeoutMs: 180_000, intervalMs: 250, signal: abort.signal });
  dashboard = await spawnDashboard(['--keyspace', config.cassandra.keyspace], { ...process.env, TIPSTREAM_STATE_DIR: config.stateDir });

  const page = await context!.newPage();
  await page.goto(`${dashboard.url}/`);
  // New windows arrive every wall-clock second: the page follows the rolling span; open the chart of its best neighborhood.
  await page.waitForFunction(() => (window as unknown as { tipstream?: PageState }).tipstream?.state.follow === true && document.querySelector('#top li') !== null, undefined, { timeout: 60_000 });
  await page.locator('#top li').first().click();
  await page.waitForFunction(() => ((window as unknown as { tipstream: PageState }).tipstream.chart?.data[0]?.length ?? 0) > 0, undefined, { timeout: 30_000 });

  // Three windows in a row: each written after the chart was drawn, then timed to the chart's newest point.
  const delays: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const shown = (await chartNewest(page))!;
    const next = await pollUntil('a window newer than the chart\'s', async () => [...writtenAt.keys()].filter((end) => end > shown).sort((a, b) => a - b)[0], { timeoutMs: 60_000, intervalMs: 20 });
    await page.waitForFunction((end) => {
      const xs = (window as unknown as { tipstream: PageState }).tipstream.chart?.data[0];
      return xs !== undefined && xs.length > 0 && xs[xs.length - 1]! * 1000 >= end;
    }, next, { timeout: 30_000, polling: 20 });
    delays.push(Date.now() - writtenAt.get(next)!);
  }

  // The strip over 10 s against the generator over the span the strip's readings measured. Each
  // reading is the generator's count between two of the dashboard's polls (2 s apart) of live
  // mode's record (rewritten every second); the page gets it when the poll ends. The rate replays
  // the trip file's own rush and lull, and can halve within 10 s, so the spans must match: a 10 s
  // span shifted by one poll differed by 27% in CI.
  const readings = new Map<string, { checkedAt: string; eventsInPerSecond: number | null; watermarkLagSeconds: number | null; pace: string }>();
  const from = views.at(-1)!;
  const until = Date.now() + 10_000;
  await pollUntil(
    'ten seconds of the strip',
    async () => {
      const job = await page.evaluate(() => (window as unknown as { tipstream: PageState }).tipstream.state.health?.job ?? null);
      if (job) readings.set(job.checkedAt, job);
      return Date.now() >= until || undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  const measured = [...readings.values()].filter((r) => r.eventsInPerSecond !== null);
  const rates = measured.map((r) => r.eventsInPerSecond!);
  const stripRate = rates.reduce((sum, r) => sum + r, 0) / rates.length;
  const checked = measured.map((r) => Date.parse(r.checkedAt));
  // The terminal's view last refreshed at or before a time: the live record a poll then read.
  const viewAt = (at: number) => views.filter((v) => v.at <= at).at(-1) ?? views[0]!;
  const spanStart = viewAt(Math.min(...checked) - HEALTH_INTERVAL_MS);
  const spanEnd = viewAt(Math.max(...checked));
  const generatorRate = ((spanEnd.view.eventsSent - spanStart.view.eventsSent) * 1000) / Math.max(1, spanEnd.at - spanStart.at);
  // The strip's words and the figures behind them, read together.
  const shownNow = await page.evaluate(() => ({ text: document.getElementById('health')!.innerText, job: (window as unknown as { tipstream: PageState }).tipstream.state.health!.job }));
  const strip = shownNow.text;
  const lags = [...readings.values()].map((r) => r.watermarkLagSeconds);
  const terminalLags = views.filter((v) => v.at >= from.at).map((v) => v.view.watermarkLagSeconds);
  process.stdout.write(
    `dashboard live: chart moved ${delays.join(', ')} ms after the relay wrote each window; ` +
      `events/s: strip ${rates.map((r) => Math.round(r)).join(', ')} (mean ${Math.round(stripRate)}), generator ${Math.round(generatorRate)} over the strip's ${((spanEnd.at - spanStart.at) / 1000).toFixed(1)} s, terminal ${views.filter((v) => v.at >= from.at).map((v) => Math.round(v.view.eventsPerSecond)).join(', ')}; ` +
      `lag s of event time: strip ${lags.join(', ')}, terminal ${terminalLags.join(', ')}; strip "${strip.replace(/\s+/g, ' ')}"; ${Math.round((Date.now() - started) / 1000)} s to here\n`,
  );

  for (const delay of delays) expect(delay).toBeLessThanOrEqual(2_000);
  expect(rates.length).toBeGreaterThanOrEqual(3);
  expect(Math.abs(stripRate - generatorRate) / generatorRate).toBeLessThan(0.2);
  expect(strip).toContain(`events in ${Math.round(shownNow.job.eventsInPerSecond!)}/s`);
  // Against the live clock the lag is, in event time, the 3-minute watermark delay plus the age of
  // the watermark Flink reports, refreshed every 10 s (600 s at 60x): the terminal's own swing
  // from about 400 to 930 s. Never below zero: against the wall clock, which the live clock runs
  // ahead of, it was -2717 s.
  expect([...readings.values()].every((r) => r.pace === 'live')).toBe(true);
  for (const lag of lags) {
    expect(lag).not.toBeNull();
    expect(lag!).toBeGreaterThan(0);
    expect(lag!).toBeLessThan(1_200);
  }
  expect(strip).toMatch(/watermark lag \d+ s of event time \(live clock\)/);
  await page.close();

  abort.abort();
  const summary = await run;
  expect(summary.relay.written).toBeGreaterThan(0);
});
