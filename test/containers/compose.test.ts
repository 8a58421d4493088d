// docker-compose.yml for real: brought up with a compose tool on the suite's engine (podman-compose
// on Podman, `docker compose` on Docker; TIPSTREAM_COMPOSE names another), with tipstream's own
// images where the engine has them. Then `tipstream start`, told the stack is someone else's
// (stack.provider external) and where the job reaches Kafka and the udf-service, runs the DEBS
// sample through it; every window it stored in the compose Cassandra must equal the independent
// computation. The compose project is taken down afterwards, passed or failed.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, projectRoot } from '../../common/config.js';
import { ResultsTable } from '../../clients/index.js';
import { cassandraOptions } from '../../common/client-options.js';
import { localImages, stopApps } from '../../stack/index.js';
import { artifactPaths } from '../../stack/index.js';
import { samples } from '../support/data.js';
import { expectedStats, expectSameStats, readDebs } from '../support/expected-stats.js';
import { startTestUdfService } from '../support/udf.js';

const execFileAsync = promisify(execFile);
const project = 'tipstream-compose-test';
const stateDir = mkdtempSync(join(tmpdir(), 'tipstream-compose-'));
const suiteConfig = loadConfig();
const paths = artifactPaths(suiteConfig);
const core = ['kafka', 'cassandra', 'jobmanager', 'taskmanager', 'sql-gateway'];

/** The compose tool: TIPSTREAM_COMPOSE, else podman-compose on Podman's socket, else `docker compose`. */
async function composeCommand(): Promise<string[]> {
  if (process.env.TIPSTREAM_COMPOSE) return process.env.TIPSTREAM_COMPOSE.split(' ');
  const podman = await execFileAsync('podman-compose', ['version']).then(() => true, () => false);
  return podman && /podman/.test(process.env.DOCKER_HOST ?? '') ? ['podman-compose'] : ['docker', 'compose'];
}

async function localImagesPresent(): Promise<boolean> {
  const engine = /podman/.test(process.env.DOCKER_HOST ?? '') ? 'podman' : 'docker';
  const found = await Promise.all([localImages.kafka, localImages.flink, localImages.cassandra].map((i) => execFileAsync(engine, ['image', 'inspect', i]).then(() => true, () => false)));
  return found.every(Boolean);
}

// The compose file's own environment; the host's tipstream gets the rest.
let composeEnv: NodeJS.ProcessEnv;
let compose: string[];
const run = (args: string[]) => execFileAsync(compose[0]!, [...compose.slice(1), '-p', project, ...args], { cwd: projectRoot, env: composeEnv, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });

beforeAll(async () => {
  compose = await composeCommand();
  composeEnv = {
    ...process.env,
    TIPSTREAM_CACHE: suiteConfig.cacheDir,
    TIPSTREAM_CONNECTORS: paths.connectorJarsDir,
    TIPSTREAM_STATE: stateDir,
    ...((await localImagesPresent()) ? { TIPSTREAM_KAFKA_IMAGE: localImages.kafka, TIPSTREAM_FLINK_IMAGE: localImages.flink, TIPSTREAM_CASSANDRA_IMAGE: localImages.cassandra } : {}),
  };
  await run(['up', '-d', ...core]);
});

afterAll(async () => {
  await stopApps(loadConfig({ env: { ...process.env, TIPSTREAM_STATE_DIR: stateDir } })).catch(() => undefined);
  await run(['down', '-v']).catch((err: unknown) => process.stderr.write(`[compose] down failed: ${String(err)}\n`));
});

it('runs `tipstream start` through docker-compose.yml, and every stored window is exact', async () => {
  // The compose file's ports and addresses: not the suite's testcontainers stack.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TIPSTREAM_STATE_DIR: stateDir,
    TIPSTREAM_STACK_PROVIDER: 'external',
    TIPSTREAM_STACK_PORTS_KAFKA: '9092',
    TIPSTREAM_STACK_PORTS_FLINK_REST: '8081',
    TIPSTREAM_STACK_PORTS_SQL_GATEWAY: '8083',
    TIPSTREAM_STACK_PORTS_CASSANDRA: '9042',
    TIPSTREAM_JOB_KAFKA_BOOTSTRAP_SERVERS: 'kafka:19092',
    TIPSTREAM_UDF_BIND_ADDRESS: '0.0.0.0',
    TIPSTREAM_UDF_PORT: '28190',
    TIPSTREAM_JOB_UDF_LOOKUP_URL: 'http://host.containers.internal:28190/lookup',
  };
  const output: string[] = [];
  const code = await new Promise<number>((done, fail) => {
    const child = spawn(process.execPath, [resolve(projectRoot, 'bin', 'tipstream.js'), 'start', '--malformed-rate', '0'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    child.on('error', fail);
    child.on('close', (exitCode) => done(exitCode ?? 1));
  });
  expect({ code, output: output.join('') }).toMatchObject({ code: 0 });
  expect(output.join('')).toMatch(/^Top \d+ pickup neighborhoods/m);

  const config = loadConfig({ env });
  const table = await ResultsTable.open(cassandraOptions(config), { createSchema: false });
  const udf = await startTestUdfService(config);
  try {
    const expected = expectedStats(readDebs(samples.debs), 60_000, udf.index);
    const isoSeconds = (t: string) => new Date(t).toISOString().replace('.000Z', 'Z');
    const rows = (await table.read()).map((r) => ({ ...r, windowStart: isoSeconds(r.windowStart), windowEnd: isoSeconds(r.windowEnd) }));
    expectSameStats(rows, expected);
  } finally {
    await udf.close();
    await table.close();
  }
});
