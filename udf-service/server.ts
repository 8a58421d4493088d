// The udf-service's HTTP API. Plain node:http: the lookup is a few microseconds, so the server's
// own overhead decides throughput, and a bare node:http server is the ceiling we measure against
// (npm run bench:udf). Every bad request gets a 4xx with a JSON error naming the problem.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { childLogger } from '../common/logger.js';
import { UNKNOWN, type NeighborhoodIndex } from './neighborhood-index.js';

const log = childLogger('udf-service');

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_BATCH_POINTS = 10_000;

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Close the connection after answering (the rest of the request is not read). */
    readonly closeConnection = false,
  ) {
    super(message);
  }
}

export interface UdfServerOptions {
  host: string;
  port: number;
}

export interface StartedUdfServer {
  url: string;
  server: Server;
  /** Marks the service ready (boundaries loaded) or not. */
  setIndex(index: NeighborhoodIndex): void;
  close(): Promise<void>;
}

function metricsFor(registry: Registry) {
  return {
    requests: new Counter({ name: 'udf_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    latency: new Histogram({
      name: 'udf_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['route'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
      registers: [registry],
    }),
    lookups: new Counter({ name: 'udf_lookups_total', help: 'points looked up', registers: [registry] }),
    unknowns: new Counter({ name: 'udf_unknown_total', help: 'points in no neighborhood', registers: [registry] }),
    errors: new Counter({ name: 'udf_errors_total', help: 'requests answered with an error, by status', labelNames: ['status'], registers: [registry] }),
  };
}

/** A coordinate from a query parameter or JSON value: finite and in range, or a 400 naming it. */
export function parseCoordinate(name: string, raw: unknown, kind: 'lon' | 'lat'): number {
  if (raw === undefined || raw === null || raw === '') throw new BadRequest(400, `missing parameter '${name}'`);
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(value)) throw new BadRequest(400, `parameter '${name}' must be a finite number, got ${JSON.stringify(raw).slice(0, 40)}`);
  const limit = kind === 'lon' ? 180 : 90;
  if (value < -limit || value > limit) throw new BadRequest(400, `parameter '${name}' must be between -${limit} and ${limit}, got ${value}`);
  return value;
}

export function startUdfServer(options: UdfServerOptions): Promise<StartedUdfServer> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = metricsFor(registry);
  let index: NeighborhoodIndex | undefined;

  const lookup = (lon: number, lat: number): string => {
    const name = index!.lookup(lon, lat);
    metrics.lookups.inc();
    if (name === UNKNOWN) metrics.unknowns.inc();
    return name;
  };

  const routes: Record<string, (req: IncomingMessage, url: URL) => Promise<unknown> | unknown> = {
    'GET /lookup': (_req, url) => {
      const q = url.searchParams;
      if (q.has('pickupLon') || q.has('pickupLat') || q.has('dropoffLon') || q.has('dropoffLat')) {
        // A ride's two points in one call: the shape the Flink job's lookup table uses. The keys
        // are echoed exactly as received, because the connector maps response fields to columns.
        const pickup = lookup(parseCoordinate('pickupLon', q.get('pickupLon'), 'lon'), parseCoordinate('pickupLat', q.get('pickupLat'), 'lat'));
        const dropoff = lookup(parseCoordinate('dropoffLon', q.get('dropoffLon'), 'lon'), parseCoordinate('dropoffLat', q.get('dropoffLat'), 'lat'));
        return {
          pickupLon: q.get('pickupLon'), pickupLat: q.get('pickupLat'), dropoffLon: q.get('dropoffLon'), dropoffLat: q.get('dropoffLat'),
          pickupNeighborhood: pickup, dropoffNeighborhood: dropoff,
        };
      }
      const neighborhood = lookup(parseCoordinate('lon', q.get('lon'), 'lon'), parseCoordinate('lat', q.get('lat'), 'lat'));
      return { lon: q.get('lon'), lat: q.get('lat'), neighborhood };
    },
    'POST /lookup/batch': async (req) => {
      const body = await readJsonBody(req);
      const points = (body as { points?: unknown }).points;
      if (!Array.isArray(points)) throw new BadRequest(400, "the body must be {\"points\": [[lon, lat], ...]}");
      if (points.length > MAX_BATCH_POINTS) throw new BadRequest(413, `at most ${MAX_BATCH_POINTS} points per request, got ${points.length}`);
      const neighborhoods = points.map((point, i) => {
        if (!Array.isArray(point) || point.length !== 2) throw new BadRequest(400, `points[${i}] must be [lon, lat]`);
        return lookup(parseCoordinate(`points[${i}][0]`, point[0], 'lon'), parseCoordinate(`points[${i}][1]`, point[1], 'lat'));
      });
      return { neighborhoods };
    },
  };

  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    const finish = (status: number, body: string, contentType = 'application/json', close = false) => {
      res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...(close ? { connection: 'close' } : {}) });
      res.end(body);
      const label = routes[route] ? url.pathname : url.pathname === '/metrics' || url.pathname === '/healthz' || url.pathname === '/readyz' ? url.pathname : 'other';
      metrics.requests.inc({ route: label, status });
      metrics.latency.observe({ route: label }, Number(process.hrtime.bigint() - started) / 1e9);
      if (status >= 400) metrics.errors.inc({ status });
    };
    const fail = (err: unknown) => {
      if (err instanceof BadRequest) finish(err.status, JSON.stringify({ error: err.message }), 'application/json', err.closeConnection);
      else {
        log.error({ err }, 'request failed');
        finish(500, JSON.stringify({ error: 'internal error' }));
      }
    };
    if (url.pathname === '/healthz') return finish(200, JSON.stringify({ status: 'ok' }));
    if (url.pathname === '/readyz') return index ? finish(200, JSON.stringify({ status: 'ready', neighborhoods: index.size })) : finish(503, JSON.stringify({ status: 'loading' }));
    if (url.pathname === '/metrics') {
      registry.metrics().then((text) => finish(200, text, registry.contentType), fail);
      return;
    }
    const handler = routes[route];
    if (!handler) {
      const known = Object.keys(routes).some((r) => r.endsWith(` ${url.pathname}`));
      return fail(new BadRequest(known ? 405 : 404, known ? `method ${req.method} is not allowed on ${url.pathname}` : `no such endpoint ${url.pathname}`));
    }
    if (!index) return fail(new BadRequest(503, 'the boundaries are still loading'));
    try {
      const result = handler(req, url);
      if (result instanceof Promise) result.then((value) => finish(200, JSON.stringify(value)), fail);
      else finish(200, JSON.stringify(result));
    } catch (err) {
      fail(err);
    }
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${options.host}:${port}`,
        server,
        setIndex: (next) => {
          index = next;
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/json')) {
      req.resume();
      return reject(new BadRequest(415, `the body must be application/json, got '${type || 'no content type'}'`));
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      return reject(new BadRequest(413, `the body is larger than ${MAX_BODY_BYTES} bytes`, true));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Answer now and drop the rest unread; the connection closes after the answer, so the
        // client still gets its 413 instead of a reset.
        tooLarge = true;
        chunks.length = 0;
        reject(new BadRequest(413, `the body is larger than ${MAX_BODY_BYTES} bytes`, true));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (tooLarge) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new BadRequest(400, 'the body is not valid JSON'));
      }
    });
  });
}
