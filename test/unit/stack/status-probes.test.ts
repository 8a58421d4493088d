// `stack status` against a stand-in for Flink's REST API and the SQL Gateway: a TaskManager
// counts only while the JobManager hears its heartbeats and its recorded process lives, and a
// status submits nothing to the gateway (its readiness SELECT 1 would leave a job behind).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../common/config.js';
import { createProgress } from '../../../common/progress.js';
import { LocalStackProvider } from '../../../stack/local-provider.js';
import { TASKMANAGER_HEARTBEAT_STALE_MS } from '../../../stack/readiness.js';
import { localServices } from '../../../stack/services.js';
import { artifactPaths } from '../../../stack/artifacts.js';

let server: Server;
let port: number;
let lastHeartbeat = Date.now();
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/taskmanagers') return json({ taskmanagers: [{ id: 'tm-1', timeSinceLastHeartbeat: lastHeartbeat, slotsNumber: 4 }] });
    if (req.url === '/overview') return json({ taskmanagers: 1, 'slots-total': 4 });
    if (req.url === '/v1/info') return json({ productName: 'Apache Flink', version: '2.2.1' });
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function configWith(stateDir: string) {
  // Flink REST and the SQL Gateway both at the stand-in; Kafka and Cassandra where nothing listens.
  return loadConfig({ env: {}, overrides: { stateDir, stack: { ports: { flinkRest: port, sqlGateway: port, kafka: 1, cassandra: 2 } } } });
}

const taskManager = (stateDir: string) => localServices({ config: configWith(stateDir), artifacts: artifactPaths(configWith(stateDir)), java: 'java' }).find((s) => s.service === 'flink-taskmanager')!;

describe('the TaskManager probe', () => {
  it('counts a TaskManager heard from lately', async () => {
    lastHeartbeat = Date.now() - 5_000;
    expect(await taskManager(mkdtempSync(join(tmpdir(), 'tipstream-status-'))).probe()).toBe(true);
  });

  it('does not count one the JobManager still lists but has not heard from', async () => {
    lastHeartbeat = Date.now() - TASKMANAGER_HEARTBEAT_STALE_MS - 1_000;
    expect(await taskManager(mkdtempSync(join(tmpdir(), 'tipstream-status-'))).probe()).toBe(false);
  });
});

describe('stack status', () => {
  it('says a TaskManager whose recorded process exited does not answer, and submits nothing to the SQL Gateway', async () => {
    lastHeartbeat = Date.now();
    const stateDir = mkdtempSync(join(tmpdir(), 'tipstream-status-'));
    // A recorded pid that cannot be alive (above the kernel's pid limit).
    const gone = { pid: 4_194_304 + 7, startTicks: 1, address: '', logFile: '', startedAt: new Date().toISOString() };
    writeFileSync(join(stateDir, 'stack.json'), JSON.stringify({ provider: 'local', services: { 'flink-taskmanager': gone, 'sql-gateway': gone } }));
    requests.length = 0;
    const statuses = await new LocalStackProvider(configWith(stateDir), createProgress(false)).status();
    const byService = Object.fromEntries(statuses.map((s) => [s.service, s]));
    expect(byService['flink-taskmanager']).toMatchObject({ answers: false, detail: 'recorded process has exited' });
    expect(byService['sql-gateway']).toMatchObject({ answers: true, detail: 'recorded process has exited; another process answers at its address' });
    expect(byService['flink-jobmanager']).toMatchObject({ answers: true, detail: 'not started by tipstream' });
    expect(requests.filter((r) => r.startsWith('POST'))).toEqual([]);
  });
});
