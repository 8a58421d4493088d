// `npm run bench:stack`: cold `stack up` (empty cache), warm `stack up`, each service's time to
// ready, resident memory once idle, and `stack down` time. It runs a second stack on its own
// ports, cache and state folders, so it neither disturbs nor reuses a stack already up.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../common/config.js';
import { createProgress } from '../common/progress.js';
import { LocalStackProvider } from '../stack/index.js';
import { residentMemoryMb } from '../stack/processes.js';

const skipCold = process.argv.includes('--skip-cold');
const idleSeconds = 15;
const root = mkdtempSync(join(tmpdir(), 'tipstream-bench-stack-'));
const portOffset = 20000;

const config = loadConfig({
  overrides: {
    cacheDir: join(root, 'cache'),
    stateDir: join(root, 'state'),
    stack: {
      ports: {
        kafka: 9092 + portOffset, kafkaController: 9093 + portOffset, flinkRest: 8081 + portOffset, flinkRpc: 6123 + portOffset,
        sqlGateway: 8083 + portOffset, cassandra: 9042 + portOffset, cassandraStorage: 7000 + portOffset, flinkPrometheusFirst: 9249 + portOffset,
      },
    },
  },
});
if (skipCold) config.cacheDir = loadConfig().cacheDir;
const provider = new LocalStackProvider(config, createProgress());

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = Date.now();
  const value = await run();
  return [value, Date.now() - start];
}

function jvmStartMs(): number {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = Date.now();
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    runs.push(Date.now() - start);
  }
  return runs.sort((a, b) => a - b)[2]!;
}

const lines: string[] = [];
const report = (line: string) => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};

try {
  report(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  report(`anchor: a bare JVM start (java -version), median of 5: ${jvmStartMs()} ms`);

  if (!skipCold) {
    const [cold, coldMs] = await timed(() => provider.up());
    report(`cold stack up (empty cache): ${seconds(coldMs)} (downloads and unpacking ${cold.resolveSeconds.toFixed(1)} s)`);
    for (const [service, s] of Object.entries(cold.readySeconds)) report(`  ${service.padEnd(18)} ready after ${s!.toFixed(1)} s`);
    const [, downMs] = await timed(() => provider.down());
    report(`stack down: ${seconds(downMs)}`);
  }

  const [warm, warmMs] = await timed(() => provider.up());
  report(`warm stack up: ${seconds(warmMs)} (artifact check ${warm.resolveSeconds.toFixed(1)} s)`);
  for (const [service, s] of Object.entries(warm.readySeconds)) report(`  ${service.padEnd(18)} ready after ${s!.toFixed(1)} s`);

  await delay(idleSeconds * 1000);
  const state = JSON.parse(readFileSync(join(config.stateDir, 'stack.json'), 'utf8')) as { services: Record<string, { pid: number }> };
  let total = 0;
  report(`resident memory after ${idleSeconds} s idle:`);
  for (const [service, { pid }] of Object.entries(state.services)) {
    const mb = residentMemoryMb(pid) ?? 0;
    total += mb;
    report(`  ${service.padEnd(18)} ${mb} MiB`);
  }
  report(`  ${'total'.padEnd(18)} ${total} MiB`);

  const [, downMs] = await timed(() => provider.down());
  report(`stack down: ${seconds(downMs)}`);
} finally {
  await provider.down().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
}
