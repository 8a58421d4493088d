// The udf-service's HTTP API. Plain node:http: a lookup takes about a microsecond, so the server's
// own overhead decides throughput, and a bare node:http server is the ceiling we measure against
// (npm run bench:udf). Every bad request gets a 4xx with a JSON error naming the problem.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { InfrastructureError, TipstreamError, UserError } from '../common/errors.js';
import { childLogger } from '../common/logger.js';
import { UNKNOWN, type NeighborhoodIndex } from './neighborhood-index.js';

const log = childLogger('udf-service');

export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * A body over MAX_BODY_BYTES is still read, and dropped, up to this size before the 413 goes out:
 * a client that is still writing when the server answers and closes gets EPIPE instead of the 413.
 * Anything larger is answered at once and its connection closed.
 */
export const MAX_DRAINED_BODY_BYTES = 64 * 1024 * 1024;
export const MAX_BATCH_POINTS = 10_000;
/** How long close() lets requests in flight finish before it cuts the remaining connections. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** The client closed its connection before it sent the whole request: there is no one to answer. */
export class ClientGone extends TipstreamError {
  constructor() {
    super('TIPSTREAM_CLIENT_GONE', '');
  }
}

/**
 * The request's fault: answered with its status and message, never logged as a server error.
 * Only a 503 (boundaries still loading) goes away by asking again.
 */
export class BadRequest extends TipstreamError {
  constructor(
    readonly status: number,
    message: string,
    /** Close the connection after answering (the rest of the request is not read). */
    readonly closeConnection = false,
  ) {
    super('TIPSTREAM_BAD_REQUEST', message, { retriable: status === 503 });
  }
}

export interface UdfServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  shutdownGraceMs?: number;
}

export interface StartedUdfServer {
  url: string;
  server: Server;
  /** Marks the service ready (boundaries loaded). */
  setIndex(index: NeighborhoodIndex): void;
  /**
   * Stops accepting connections, answers the requests in flight (with `connection: close`), and
   * resolves once every connection is gone; connections still open after the grace period are cut.
   */
  close(): Promise<void>;
}

/** The route label of a path: a fixed set, so a scan of random paths cannot blow up the metrics. */
const ROUTE_LABELS = new Set(['/lookup', '/lookup/batch', '/healthz', '/readyz', '/metrics']);

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
    clientsGone: new Counter({ name: 'udf_client_disconnects_total', help: 'requests whose client went away before sending all of it (no answer sent)', labelNames: ['route'], registers: [registry] }),
  };
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** A coordinate from a query parameter or JSON value: finite and in range, or a 400 naming it. */
export function parseCoordinate(name: string, raw: unknown, kind: 'lon' | 'lat'): number {
  if (raw === undefined || raw === null || raw === '') throw new BadRequest(400, `missing parameter '${name}'`);
  // Only plain decimal numbers: Number() would also take '0x1F', '' and ' ', which no client means.
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && NUMBER.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(value)) throw new BadRequest(400, `parameter '${name}' must be a finite number, got ${JSON.stringify(raw).slice(0, 40)}`);
  const limit = kind === 'lon' ? 180 : 90;
  if (value < -limit || value > limit) throw new BadRequest(400, `parameter '${name}' must be between -${limit} and ${limit}, got ${value}`);
  return value;
}

interface RequestTarget {
  pathname: string;
  query: URLSearchParams;
}

/**
 * Splits the request target without `new URL()` on the hot path. An absolute-form target
 * ('GET http://host/path') is legal HTTP and parsed as a URL; one that is not a URL is undefined.
 */
function parseTarget(raw: string): RequestTarget | undefined {
  if (raw.startsWith('/')) {
    const q = raw.indexOf('?');
    return q < 0 ? { pathname: raw, query: new URLSearchParams() } : { pathname: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
  }
  try {
    const url = new URL(raw);
    return { pathname: url.pathname, query: url.searchParams };
  } catch {
    return undefined;
  }
}

const RIDE_KEYS = ['pickupLon', 'pickupLat', 'dropoffLon', 'dropoffLat'] as const;

export function startUdfServer(options: UdfServerOptions): Promise<StartedUdfServer> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = metricsFor(registry);
  const graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  let index: NeighborhoodIndex | undefined;
  let stopping = false;

  const lookup = (lon: number, lat: number): string => {
    const name = index!.lookup(lon, lat);
    metrics.lookups.inc();
    if (name === UNKNOWN) metrics.unknowns.inc();
    return name;
  };

  const lookupRoute = (q: URLSearchParams): unknown => {
    if (RIDE_KEYS.some((key) => q.has(key))) {
      // A ride's two points in one call: the shape of the Flink job's lookup table. The keys are
      // echoed exactly as received, because the connector maps response fields to columns by name.
      const [pickupLon, pickupLat, dropoffLon, dropoffLat] = RIDE_KEYS.map((key) => q.get(key));
      const points = [
        parseCoordinate('pickupLon', pickupLon, 'lon'),
        parseCoordinate('pickupLat', pickupLat, 'lat'),
        parseCoordinate('dropoffLon', dropoffLon, 'lon'),
        parseCoordinate('dropoffLat', dropoffLat, 'lat'),
      ] as const;
      return {
        pickupLon, pickupLat, dropoffLon, dropoffLat,
        pickupNeighborhood: lookup(points[0], points[1]),
        dropoffNeighborhood: lookup(points[2], points[3]),
      };
    }
    if (!q.has('lon') && !q.has('lat')) throw new BadRequest(400, 'missing parameters: give lon and lat, or pickupLon, pickupLat, dropoffLon and dropoffLat');
    const lon = q.get('lon');
    const lat = q.get('lat');
    const neighborhood = lookup(parseCoordinate('lon', lon, 'lon'), parseCoordinate('lat', lat, 'lat'));
    return { lon, lat, neighborhood };
  };

  const batchRoute = async (req: IncomingMessage): Promise<unknown> => {
    const body = await readJsonBody(req);
    const points = body !== null && typeof body === 'object' ? (body as { points?: unknown }).points : undefined;
    if (!Array.isArray(points)) throw new BadRequest(400, 'the body must be {"points": [[lon, lat], ...]}');
    if (points.length > MAX_BATCH_POINTS) throw new BadRequest(413, `at most ${MAX_BATCH_POINTS} points per request, got ${points.length}`);
    // Validate every point before looking any up, so a rejected batch counts no lookups.
    const parsed = points.map((point: unknown, i) => {
      if (!Array.isArray(point) || point.length !== 2) throw new BadRequest(400, `points[${i}] must be [lon, lat]`);
      return [parseCoordinate(`points[${i}][0]`, point[0], 'lon'), parseCoordinate(`points[${i}][1]`, point[1], 'lat')] as const;
    });
    return { neighborhoods: parsed.map(([lon, lat]) => lookup(lon, lat)) };
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const target = parseTarget(req.url ?? '/');
    const route = target && ROUTE_LABELS.has(target.pathname) ? target.pathname : 'other';
    const finish = (status: number, body: string, contentType = 'application/json', close = false) => {
      res.writeHead(status, {
        'content-type': contentType,
        'content-length': Buffer.byteLength(body),
        ...(close || stopping ? { connection: 'close' } : {}),
      });
      res.end(body);
      metrics.requests.inc({ route, status });
      metrics.latency.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
      if (status >= 400) metrics.errors.inc({ status });
    };
    const fail = (err: unknown) => {
      if (err instanceof ClientGone) {
        metrics.clientsGone.inc({ route });
      } else if (err instanceof BadRequest) {
        finish(err.status, JSON.stringify({ error: err.message }), 'application/json', err.closeConnection);
      } else {
        log.error({ err }, 'request failed');
        finish(500, JSON.stringify({ error: 'internal error' }));
      }
    };
    try {
      if (!target) throw new BadRequest(400, `the request target is not a valid URL: ${JSON.stringify((req.url ?? '').slice(0, 80))}`);
      const { pathname, query } = target;
      const method = req.method ?? '';
      const allowed = pathname === '/lookup/batch' ? 'POST' : ROUTE_LABELS.has(pathname) ? 'GET' : undefined;
      if (!allowed) throw new BadRequest(404, `no such endpoint ${pathname.slice(0, 80)}`);
      if (method !== allowed && !(allowed === 'GET' && method === 'HEAD')) throw new BadRequest(405, `method ${method} is not allowed on ${pathname}; use ${allowed}`);
      if (pathname === '/healthz') return finish(200, JSON.stringify({ status: 'ok' }));
      if (pathname === '/readyz') {
        if (stopping) return finish(503, JSON.stringify({ status: 'stopping' }));
        return index ? finish(200, JSON.stringify({ status: 'ready', neighborhoods: index.size })) : finish(503, JSON.stringify({ status: 'loading' }));
      }
      if (pathname === '/metrics') {
        registry.metrics().then((text) => finish(200, text, registry.contentType), fail);
        return;
      }
      // 503 is retried by Flink's lookup connector (its default retry codes), so a job that starts
      // before the boundaries are loaded waits instead of failing.
      if (!index) throw new BadRequest(503, 'the boundaries are still loading');
      if (pathname === '/lookup') return finish(200, JSON.stringify(lookupRoute(query)));
      batchRoute(req).then((value) => finish(200, JSON.stringify(value)), fail);
    } catch (err) {
      fail(err);
    }
  };

  const server = createServer(handle);
  // Keep-alive: Flink's connector and benchmark clients reuse connections; idle ones live 65 s.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((done) => {
      stopping = true;
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      cut.unref();
      server.close(() => {
        clearTimeout(cut);
        done();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new UserError('TIPSTREAM_PORT_IN_USE', `port ${options.port} on ${options.host} is already in use, so the udf-service cannot listen there; choose another with --port`)
          : new InfrastructureError('TIPSTREAM_START', `the udf-service cannot listen on ${options.host}:${options.port}`, { cause: err }),
      );
    });
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
        server,
        setIndex: (next) => {
          index = next;
        },
        close,
      });
    });
  });
}

function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/json')) {
      req.resume();
      return reject(new BadRequest(415, `the body must be application/json, got '${type.slice(0, 60) || 'no content type'}'`));
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLargeError = () => new BadRequest(413, `the body is larger than ${MAX_BODY_BYTES} bytes`, true);
    if (declared > MAX_DRAINED_BODY_BYTES) {
      req.resume();
      return reject(tooLargeError());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DRAINED_BODY_BYTES) {
        // Too much to keep reading: answer now and close, whatever the client then sees.
        req.pause();
        return reject(tooLargeError());
      }
      if (size > MAX_BODY_BYTES) {
        // Read on and drop the rest; the 413 goes out once the client has sent it all (on 'end').
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    // A client that goes away mid-body: nothing to answer, and nothing must be thrown.
    req.on('error', () => reject(new ClientGone()));
    req.on('close', () => {
      if (!req.complete) reject(new ClientGone());
    });
    req.on('end', () => {
      if (tooLarge) return reject(tooLargeError());
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new BadRequest(400, 'the body is not valid JSON'));
      }
    });
  });
}
