// The containers suite's one stack (npm run test:containers): Kafka, Cassandra, a JobManager, two
// TaskManagers and the SQL Gateway, started in containers by testcontainers from the test run
// itself, on host ports of their own (a local stack may be up beside it) and a state folder of its
// own. The settings go to the environment, so every loadConfig() in the suite (and every CLI the
// tests start) addresses these containers. Torn down after the suite, passed or failed; a set-up
// that fails half-way removes what it started.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { ensureFunctionsJar } from '../../orchestrator/index.js';
import { TestcontainersStackProvider } from '../../stack/testcontainers-provider.js';

const markerFile = join(tmpdir(), `tipstream-containers-suite-${process.getuid?.() ?? 0}.json`);

/** Two TaskManagers of two slots: a job of parallelism 3 or 4 has to run on both. */
export const suiteEnvironment = {
  TIPSTREAM_STACK_PROVIDER: 'testcontainers',
  TIPSTREAM_STACK_TASK_MANAGERS: '2',
  TIPSTREAM_STACK_TASK_SLOTS: '2',
  TIPSTREAM_STACK_PORTS_KAFKA: '29092',
  TIPSTREAM_STACK_PORTS_FLINK_REST: '28081',
  TIPSTREAM_STACK_PORTS_SQL_GATEWAY: '28083',
  TIPSTREAM_STACK_PORTS_CASSANDRA: '29042',
  TIPSTREAM_STACK_PORTS_FLINK_PROMETHEUS_FIRST: '29249',
  TIPSTREAM_UDF_PORT: '28090',
  // The reaper's image cannot be pulled where no registry answers; the teardown removes the containers.
  TESTCONTAINERS_RYUK_DISABLED: 'true',
} as const;

export async function setUp(): Promise<void> {
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) {
    throw new Error('the containers suite needs a Docker engine: set DOCKER_HOST (Podman: eval "$(stack/podman/service.sh start)", see stack/CONTAINERS.md)');
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'tipstream-containers-'));
  Object.assign(process.env, suiteEnvironment, { TIPSTREAM_STATE_DIR: stateDir });
  writeFileSync(markerFile, JSON.stringify({ stateDir }));
  const config = loadConfig();
  const provider = new TestcontainersStackProvider(config, createProgress(false), { buildFunctionsJar: (progress) => ensureFunctionsJar(config, progress) });
  const started = Date.now();
  try {
    const result = await provider.up();
    const ready = Object.entries(result.readySeconds).map(([s, t]) => `${s} ${t!.toFixed(1)} s`).join(', ');
    process.stderr.write(`\n[containers] stack up in ${((Date.now() - started) / 1000).toFixed(1)} s (${ready}); state in ${stateDir}\n`);
    for (const s of await provider.status()) process.stderr.write(`[containers]   ${s.detail} ${s.state}\n`);
  } catch (err) {
    await provider.down().catch(() => undefined);
    throw err;
  }
}

export async function tearDown(): Promise<void> {
  if (!existsSync(markerFile)) return;
  const { stateDir } = JSON.parse(readFileSync(markerFile, 'utf8')) as { stateDir: string };
  rmSync(markerFile, { force: true });
  Object.assign(process.env, suiteEnvironment, { TIPSTREAM_STATE_DIR: stateDir });
  if (process.env.TIPSTREAM_KEEP_STACK === 'true') return;
  await new TestcontainersStackProvider(loadConfig(), createProgress(false)).down();
  rmSync(stateDir, { recursive: true, force: true });
}
