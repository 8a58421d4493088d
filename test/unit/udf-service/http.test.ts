// The HTTP API against a real server on loopback: answers, a 4xx for every kind of bad input,
// and a bounded fuzz run that must never take the process down.
import { request } from 'node:http';
import { connect } from 'node:net';
import { NeighborhoodIndex, startUdfServer, type StartedUdfServer } from '../../../udf-service/index.js';
import { BadRequest, ClientGone } from '../../../udf-service/server.js';

const square = (x0: number, y0: number, size: number) => [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]];
let service: StartedUdfServer;

beforeAll(async () => {
  service = await startUdfServer({ host: '127.0.0.1', port: 0 });
  service.setIndex(new NeighborhoodIndex([{ name: 'Midtown', geometry: { type: 'Polygon', coordinates: [square(-74, 40.7, 0.1)] } }]));
});
afterAll(async () => {
  await service.close();
});

function call(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${service.url}${path}`, { method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = { text };
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('answers', () => {
  it('looks up one point', async () => {
    expect(await call('GET', '/lookup?lon=-73.95&lat=40.75')).toEqual({ status: 200, json: { lon: '-73.95', lat: '40.75', neighborhood: 'Midtown' } });
  });

  it("looks up a ride's two points in one call, echoing the keys as the Flink connector sent them", async () => {
    const { status, json } = await call('GET', '/lookup?pickupLon=-73.95&pickupLat=40.75&dropoffLon=-73.0&dropoffLat=40.75');
    expect(status).toBe(200);
    expect(json).toEqual({ pickupLon: '-73.95', pickupLat: '40.75', dropoffLon: '-73.0', dropoffLat: '40.75', pickupNeighborhood: 'Midtown', dropoffNeighborhood: 'Unknown' });
  });

  it('looks up a batch', async () => {
    expect((await call('POST', '/lookup/batch', JSON.stringify({ points: [[-73.95, 40.75], [0, 0]] }))).json).toEqual({ neighborhoods: ['Midtown', 'Unknown'] });
  });

  it('is healthy and ready, and exports Prometheus metrics', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/readyz')).json).toEqual({ status: 'ready', neighborhoods: 1 });
    const metrics = await call('GET', '/metrics');
    expect(String(metrics.json.text)).toMatch(/udf_lookups_total \d+/);
    expect(String(metrics.json.text)).toMatch(/udf_request_duration_seconds_bucket/);
  });
});

describe('bad input gets a 4xx with a JSON error naming the problem', () => {
  const cases: Array<[string, string, string, string | undefined, number, RegExp]> = [
    ['a non-numeric coordinate', 'GET', '/lookup?lon=abc&lat=40', undefined, 400, /'lon' must be a finite number/],
    ['NaN', 'GET', '/lookup?lon=NaN&lat=40', undefined, 400, /'lon' must be a finite number/],
    ['an infinite coordinate', 'GET', '/lookup?lon=-73&lat=Infinity', undefined, 400, /'lat' must be a finite number/],
    ['a huge exponent', 'GET', '/lookup?lon=1e999&lat=40', undefined, 400, /'lon' must be a finite number/],
    ['an out-of-range latitude', 'GET', '/lookup?lon=-73&lat=91', undefined, 400, /'lat' must be between -90 and 90/],
    ['an out-of-range longitude', 'GET', '/lookup?lon=-181&lat=40', undefined, 400, /'lon' must be between -180 and 180/],
    ['a missing parameter', 'GET', '/lookup?lon=-73', undefined, 400, /missing parameter 'lat'/],
    ['a half-given ride', 'GET', '/lookup?pickupLon=-73&pickupLat=40&dropoffLon=-73', undefined, 400, /missing parameter 'dropoffLat'/],
    ['malformed JSON', 'POST', '/lookup/batch', '{"points": [', 400, /not valid JSON/],
    ['a body of the wrong shape', 'POST', '/lookup/batch', '{"point": 1}', 400, /"points"/],
    ['a bad point in a batch', 'POST', '/lookup/batch', '{"points": [[1, 2], [3]]}', 400, /points\[1\] must be \[lon, lat\]/],
    ['a string coordinate in a batch', 'POST', '/lookup/batch', '{"points": [["x", 2]]}', 400, /points\[0\]\[0\]/],
    ['too many points', 'POST', '/lookup/batch', JSON.stringify({ points: Array.from({ length: 10_001 }, () => [0, 0]) }), 413, /at most 10000 points/],
    ['an oversized body', 'POST', '/lookup/batch', `{"points": [], "pad": "${'x'.repeat(1_100_000)}"}`, 413, /larger than 1048576 bytes/],
    ['an unknown endpoint', 'GET', '/nope', undefined, 404, /no such endpoint \/nope/],
    ['a wrong method', 'DELETE', '/lookup', undefined, 405, /method DELETE is not allowed on \/lookup/],
  ];
  it.each(cases)('%s', async (_name, method, path, body, status, message) => {
    const answer = await call(method, path, body);
    expect(answer.status).toBe(status);
    expect(String(answer.json.error)).toMatch(message);
  });

  it('refuses a body that is not JSON by content type', async () => {
    const answer = await call('POST', '/lookup/batch', 'points', { 'content-type': 'text/plain' });
    expect(answer.status).toBe(415);
  });
});

describe('request errors', () => {
  it('say that only the 503 of boundaries still loading goes away by asking again', () => {
    expect(new BadRequest(503, 'the boundaries are still loading')).toMatchObject({ code: 'TIPSTREAM_BAD_REQUEST', status: 503, retriable: true });
    expect(new BadRequest(400, 'missing parameter')).toMatchObject({ code: 'TIPSTREAM_BAD_REQUEST', status: 400, retriable: false, closeConnection: false });
    expect(new ClientGone()).toMatchObject({ name: 'ClientGone', code: 'TIPSTREAM_CLIENT_GONE', retriable: false });
  });
});

describe('clients that misbehave', () => {
  const metricsText = async () => String((await call('GET', '/metrics')).json.text);

  it('answers a 20 MB body with its 413, not a broken pipe', async () => {
    // The whole exchange, write errors included: once the response is in, a client that is still
    // writing into a closed connection sees EPIPE or ECONNRESET.
    const outcome = await new Promise<{ status?: number; writeError?: string }>((resolve) => {
      const result: { status?: number; writeError?: string } = {};
      const req = request(`${service.url}/lookup/batch`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        result.status = res.statusCode;
        res.resume();
      });
      req.on('error', (err: NodeJS.ErrnoException) => (result.writeError = err.code ?? err.message));
      req.on('close', () => resolve(result));
      const chunk = 'x'.repeat(64 * 1024);
      req.write('{"points": [], "pad": "');
      for (let sent = 0; sent < 20 * 1024 * 1024; sent += chunk.length) req.write(chunk);
      req.end('"}');
    });
    expect(outcome).toEqual({ status: 413 });
  });

  it('counts a client that goes away mid-body as a disconnect, not as a 500 it never sent', async () => {
    const before = await metricsText();
    await new Promise<void>((resolve, reject) => {
      const { port } = new URL(service.url);
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /lookup/batch HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"points": [[');
        setImmediate(() => socket.destroy());
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const counted = (text: string) => Number(/udf_client_disconnects_total\{route="\/lookup\/batch"\} (\d+)/.exec(text)?.[1] ?? 0);
    const deadline = Date.now() + 5_000;
    let after = await metricsText();
    while (counted(after) === counted(before) && Date.now() < deadline) after = await metricsText();
    expect(counted(after)).toBe(counted(before) + 1);
    expect(after).not.toMatch(/status="500"/);
  });
});

describe('fuzzing', () => {
  it('survives a few thousand random requests and still answers correctly', async () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pieces = ['', '-', '1e308', 'NaN', '0x1F', ' ', '%00', '%E2%82', '..', '-73.9', '40.7', '9'.repeat(400), '[]', '{}', '"'];
    const pick = () => pieces[Math.floor(random() * pieces.length)]!;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const kind = random();
      let answer;
      if (kind < 0.6) {
        answer = await call('GET', `/lookup?lon=${pick()}${pick()}&lat=${pick()}&${pick()}=${pick()}`);
      } else if (kind < 0.9) {
        answer = await call('POST', '/lookup/batch', `{"points": [[${pick()}, ${pick()}]${pick()}]${pick()}`);
      } else {
        answer = await call(['GET', 'POST', 'PUT', 'PATCH'][Math.floor(random() * 4)]!, `/${pick()}${pick()}`);
      }
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      expect(answer.status).toBeLessThan(500);
    }
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    expect((await call('GET', '/lookup?lon=-73.95&lat=40.75')).json.neighborhood).toBe('Midtown');
  });
});
