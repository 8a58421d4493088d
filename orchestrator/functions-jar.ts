// tipstream's Flink functions (flink-udf/: the ride and fare parsers the job's SQL calls), built
// with Maven into the artifact cache under a name taken from the sources' content: a warm cache
// builds nothing, changed sources build again. The job loads the jar with ADD JAR, so the SQL
// Gateway ships it with each job and the Flink cluster (local or remote) needs nothing installed.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { projectRoot, type ResolvedConfig } from '../common/config.js';
import { InfrastructureError, UserError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';

export const functionsSourceDir = resolve(projectRoot, 'flink-udf');
const JAR = 'tipstream-flink-udf.jar';

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // target/ is what a developer's own `mvn package` leaves: output, not source.
    if (entry.isDirectory()) {
      if (entry.name !== 'target') out.push(...(await sourceFiles(path)));
    } else {
      out.push(path);
    }
  }
  return out.sort();
}

/** sha256 over the module's files (names and contents). */
async function sourceHash(sourceDir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await sourceFiles(sourceDir)) {
    hash.update(relative(sourceDir, file)).update('\0').update(await readFile(file)).update('\0');
  }
  return hash.digest('hex');
}

/** Where the jar of the current sources is (built or not); `sourceDir`: another copy of flink-udf/ (bench:pipeline's before). */
export async function functionsJarPath(config: ResolvedConfig, sourceDir = functionsSourceDir): Promise<string> {
  return join(config.cacheDir, `flink-udf-${(await sourceHash(sourceDir)).slice(0, 16)}`, JAR);
}

/** The jar of the current sources (or of `sourceDir`), built first (unit tests included) if the cache has none. */
export async function ensureFunctionsJar(config: ResolvedConfig, progress: Progress, sourceDir = functionsSourceDir): Promise<string> {
  const jar = await functionsJarPath(config, sourceDir);
  if (existsSync(jar)) return jar;
  progress.step('building the Flink functions (flink-udf/, Maven; the first build downloads its dependencies)');
  const target = resolve(jar, '..');
  // A folder of its own per build, so two builds at once (two checkouts sharing the cache) never meet.
  const staging = `${target}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    await cp(join(sourceDir, 'pom.xml'), join(staging, 'pom.xml'));
    await cp(join(sourceDir, 'src'), join(staging, 'src'), { recursive: true });
    await runMaven(config, staging);
    await mkdir(join(staging, 'out'));
    await cp(join(staging, 'target', JAR), join(staging, 'out', JAR));
    await rename(join(staging, 'out'), target).catch((err: NodeJS.ErrnoException) => {
      // Another build of the same sources finished first: its jar is the same.
      if (!existsSync(jar)) throw err;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return jar;
}

async function runMaven(config: ResolvedConfig, dir: string): Promise<void> {
  const logDir = join(config.cacheDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const logFile = join(logDir, `flink-udf-${Date.now()}.log`);
  const args = ['-B', '--strict-checksums', `-Dmaven.repo.local=${join(config.cacheDir, 'm2')}`, '-f', join(dir, 'pom.xml'), 'package'];
  const output: string[] = [];
  const code = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new UserError('TIPSTREAM_NOT_FOUND', 'Maven (mvn) is not installed, but tipstream needs it to build its Flink functions (flink-udf/); install Maven 3.8 or newer'));
      else reject(err);
    });
    child.on('close', (exitCode) => resolvePromise(exitCode ?? 1));
  });
  await writeFile(logFile, output.join(''));
  if (code !== 0) {
    const lines = output.join('').replace(/\x1b\[[0-9;]*m/g, '').split('\n');
    const tail = lines.filter((l) => /ERROR|FAIL|expected:/.test(l)).slice(0, 3).map((l) => l.trim()).join(' | ');
    throw new InfrastructureError('TIPSTREAM_BUILD', `building the Flink functions with Maven failed (exit ${code}; full output in ${logFile})${tail ? `: ${tail}` : ''}`);
  }
}
