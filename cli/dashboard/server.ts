// The dashboard's HTTP server (fastify): the page, MapLibre and uPlot from node_modules as static
// files, the neighborhoods and boroughs as GeoJSON, the stored windows, a span's totals and
// ranking (the same computation as `npm start`), a neighborhood's series, the pipeline's health,
// and Server-Sent Events pushing new window results and health as they change.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCompress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { describeSetting, type ResolvedConfig } from '../../common/config.js';
import { parseDurationMs } from '../../common/duration.js';
import { describeError, UserError } from '../../common/errors.js';
import { childLogger } from '../../common/logger.js';
import { loadBoroughGeoJson } from './boroughs.js';
import { BadParameter, errorReply } from './http-errors.js';
import { HEALTH_INTERVAL_MS, JobHealthMonitor } from './job-health.js';
import { loadNeighborhoodGeoJson } from './neighborhoods.js';
import { neighborhoodSeries, rangeSummary } from './range-views.js';
import { ResultsFeed } from './results-feed.js';
import { currentRunStart } from './run-span.js';

const log = childLogger('dashboard');
const publicDir = resolve(dirname(fileURLToPath(import.meta.url)), 'public');
// Served as files from node_modules: maplibre-gl.mjs finds its worker beside itself (import.meta.url).
const maplibreDir = resolve(dirname(createRequire(import.meta.url).resolve('maplibre-gl/package.json')), 'dist');
const uplotDir = resolve(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

/** Each poll is a read of the table: faster would load Cassandra (or Cosmos DB's request units) for nothing a person sees. */
const MIN_POLL_INTERVAL_MS = 100;
/** A comment line this often keeps proxies and the browser from closing an idle event stream. */
const SSE_KEEPALIVE_MS = 15_000;

export interface DashboardOptions {
  config: ResolvedConfig;
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
}

export interface StartedDashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Parses a query string with `schema`; a bad value is a 400 naming the parameter. */
function parseQuery<T extends z.ZodType>(schema: T, request: FastifyRequest): z.infer<T> {
  const parsed = schema.safeParse(request.query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const parameter = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
  throw new BadParameter(parameter, issue.code === 'unrecognized_keys' ? `unknown query parameter ${parameter}` : `query parameter ${parameter}: ${issue.message}`);
}

const isoTime = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 time, e.g. 2013-01-01T01:00:00.000Z')
  .transform((s) => new Date(s));
const minRides = z.coerce.number().int('a whole number of rides').min(1).max(1_000_000);
const span = { from: isoTime, to: isoTime, minRides: minRides.optional() };
const neighborhoodName = z.string().min(1).max(200);

function requireOrderedSpan({ from, to }: { from: Date; to: Date }): void {
  if (from.getTime() > to.getTime()) throw new BadParameter('from', 'query parameter from: must not be after to');
}

export async function startDashboard(options: DashboardOptions): Promise<StartedDashboard> {
  const { config } = options;
  const pollIntervalMs = parseDurationMs(config.dashboard.pollInterval, describeSetting(config, 'dashboard.pollInterval'));
  if (pollIntervalMs < MIN_POLL_INTERVAL_MS) {
    throw new UserError('TIPSTREAM_USAGE', `${describeSetting(config, 'dashboard.pollInterval')} must be at least ${MIN_POLL_INTERVAL_MS} ms, got '${config.dashboard.pollInterval}'`);
  }
  const neighborhoods = await loadNeighborhoodGeoJson(config.udf.boundaries, {
    nameField: config.udf.nameField,
    ...(config.udf.where ? { where: config.udf.where } : {}),
  });
  const neighborhoodsJson = JSON.stringify(neighborhoods);
  // Dissolving 263 taxi zones takes seconds on a small machine: done beside start-up, awaited by
  // the one request that needs it.
  const boroughsJson = loadBoroughGeoJson().then(JSON.stringify);
  boroughsJson.catch((err: unknown) => log.warn({ err }, 'borough outlines not loaded'));
  const feed = new ResultsFeed(config, pollIntervalMs);
  const health = new JobHealthMonitor(config, HEALTH_INTERVAL_MS);
  feed.start();
  health.start();

  // Event streams never end by themselves: closing the server must cut them.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.setErrorHandler((err, _request, reply) => {
    const { status, body, serverFault } = errorReply(err, describeError);
    if (serverFault) log.warn({ err }, 'request failed');
    return reply.code(status).send(body);
  });
  // MapLibre and the boundaries are most of what a page loads (about 1.9 MB raw): brotli or gzip,
  // as the browser asks. The event stream is hijacked, so never buffered by the compressor.
  await app.register(fastifyCompress, { global: true, encodings: ['br', 'gzip'] });
  await app.register(fastifyStatic, { root: publicDir, prefix: '/', index: false });
  await app.register(fastifyStatic, { root: maplibreDir, prefix: '/vendor/maplibre-gl/', decorateReply: false });
  await app.register(fastifyStatic, { root: uplotDir, prefix: '/vendor/uplot/', decorateReply: false });

  app.get('/', (request, reply) => {
    // span: the rolling span, in windows, the page follows while new windows arrive.
    parseQuery(z.strictObject({ minRides: minRides.optional(), span: z.coerce.number().int('a whole number of windows').min(1).max(100_000).optional() }), request);
    return reply.sendFile('index.html');
  });
  app.get('/api/settings', () => ({ minRides: config.dashboard.minRides, liveSpan: config.dashboard.liveSpan, pollIntervalMs, keyspace: config.cassandra.keyspace }));
  app.get('/api/neighborhoods.geojson', (_request, reply) => reply.type('application/geo+json').send(neighborhoodsJson));
  app.get('/api/boroughs.geojson', async (_request, reply) => reply.type('application/geo+json').send(await boroughsJson));
  app.get('/api/windows', async (request) => {
    parseQuery(z.strictObject({}), request);
    const windows = await feed.windowList();
    return { cassandra: feed.status, keyspace: config.cassandra.keyspace, windows, runStart: windows[currentRunStart(windows)]?.windowEnd ?? null };
  });
  app.get('/api/summary', async (request) => {
    const query = parseQuery(z.strictObject(span), request);
    requireOrderedSpan(query);
    const rows = await feed.rowsBetween(query.from, query.to);
    return { from: query.from.toISOString(), to: query.to.toISOString(), ...rangeSummary(rows, query.minRides ?? config.dashboard.minRides) };
  });
  app.get('/api/series', async (request) => {
    const query = parseQuery(z.strictObject({ from: isoTime, to: isoTime, neighborhood: neighborhoodName }), request);
    requireOrderedSpan(query);
    const rows = await feed.rowsBetween(query.from, query.to);
    return { neighborhood: query.neighborhood, from: query.from.toISOString(), to: query.to.toISOString(), points: neighborhoodSeries(rows, query.neighborhood) };
  });
  app.get('/api/results', async (request) => {
    const { windowEnd } = parseQuery(z.strictObject({ windowEnd: isoTime }), request);
    return { windowEnd: windowEnd.toISOString(), rows: await feed.windowRows(windowEnd) };
  });
  app.get('/api/health', (request) => {
    parseQuery(z.strictObject({}), request);
    return { cassandra: feed.status, job: health.health };
  });
  app.get('/api/events', (request, reply) => streamEvents(request, reply, feed, health));

  try {
    await app.listen({ host: options.host ?? config.host, port: options.port ?? config.dashboard.port });
  } catch (err) {
    await Promise.all([feed.stop(), health.stop()]);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = `http://${options.host ?? config.host}:${port}`;
  log.info({ url, neighborhoods: neighborhoods.features.length, geojsonBytes: neighborhoodsJson.length }, 'dashboard ready');
  return {
    url,
    port,
    async close() {
      await Promise.all([feed.stop(), health.stop()]);
      await app.close();
    },
  };
}

/** Server-Sent Events: `window` with a window's rows when new or changed, `health` and `cassandra` on every change. */
function streamEvents(request: FastifyRequest, reply: FastifyReply, feed: ResultsFeed, health: JobHealthMonitor): void {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  // A HEAD asks for the headers only: a stream that never ends would hang the client.
  if (request.method === 'HEAD') {
    out.end();
    return;
  }
  const send = (event: string, data: unknown) => out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const onWindow = (windowEnd: string, rows: unknown) => send('window', { windowEnd, rows });
  const onHealth = (job: unknown) => send('health', { cassandra: feed.status, job });
  const onStatus = (cassandra: unknown) => send('health', { cassandra, job: health.health });
  feed.on('window', onWindow);
  feed.on('status', onStatus);
  health.on('health', onHealth);
  const keepalive = setInterval(() => out.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
  send('health', { cassandra: feed.status, job: health.health });
  request.raw.once('close', () => {
    clearInterval(keepalive);
    feed.off('window', onWindow);
    feed.off('status', onStatus);
    health.off('health', onHealth);
  });
}
