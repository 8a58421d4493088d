// Resolves the stack's pinned artifacts once into the cache: Maven jars (checksums enforced by
// Maven's --strict-checksums) and the Flink distribution from PyPI (hashes enforced by pip's
// --require-hashes). A completed folder carries a manifest; a warm cache makes no network call.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { projectRoot, type ResolvedConfig } from '../common/config.js';
import { InfrastructureError, UserError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { versions } from './versions.js';

const pomDir = resolve(projectRoot, 'stack', 'artifacts');
const MANIFEST = '.tipstream-complete.json';

export interface ResolvedArtifacts {
  kafkaLibDir: string;
  flinkHome: string;
  cassandraLibDir: string;
  /** Only the connector jars Flink needs beyond its distribution (mounted by the container options). */
  connectorJarsDir: string;
}

/** Jars Flink's lib/ needs beyond the distribution. */
export const connectorJarPrefixes = ['flink-sql-connector-kafka-', 'flink-connector-base-', 'flink-http-connector-'];

interface Manifest {
  resolvedAt: string;
  /** sha256 of the recipe (POM or requirements file) it was resolved from: a changed recipe re-resolves. */
  recipe: string;
  files: Record<string, { bytes: number; sha256: string }>;
}

export function artifactPaths(config: ResolvedConfig): ResolvedArtifacts {
  return {
    kafkaLibDir: join(config.cacheDir, `kafka-${versions.kafka}`),
    flinkHome: join(config.cacheDir, `flink-${versions.flink}`),
    cassandraLibDir: join(config.cacheDir, `cassandra-${versions.cassandra}`),
    connectorJarsDir: join(config.cacheDir, `flink-connectors-${versions.flink}`),
  };
}

/** True when every artifact folder is complete, i.e. `stack up` will not touch the network. */
export async function isCacheWarm(config: ResolvedConfig): Promise<boolean> {
  const { kafkaLibDir, cassandraLibDir, flinkHome } = artifactPaths(config);
  return (
    (await isComplete(kafkaLibDir, 'kafka.pom.xml')) &&
    (await isComplete(cassandraLibDir, 'cassandra.pom.xml')) &&
    (await isComplete(flinkHome, ...flinkRecipes))
  );
}

export async function resolveArtifacts(config: ResolvedConfig, progress: Progress): Promise<ResolvedArtifacts> {
  const paths = artifactPaths(config);
  await mkdir(config.cacheDir, { recursive: true });
  if (!(await isComplete(paths.kafkaLibDir, 'kafka.pom.xml'))) {
    await resolveMaven(config, 'kafka.pom.xml', paths.kafkaLibDir, `Kafka ${versions.kafka}`, progress);
  }
  if (!(await isComplete(paths.cassandraLibDir, 'cassandra.pom.xml'))) {
    await resolveMaven(config, 'cassandra.pom.xml', paths.cassandraLibDir, `Cassandra ${versions.cassandra}`, progress);
  }
  if (!(await isComplete(paths.flinkHome, ...flinkRecipes))) await resolveFlink(config, paths.flinkHome, progress);
  await mkdir(paths.connectorJarsDir, { recursive: true });
  const lib = join(paths.flinkHome, 'lib');
  for (const jar of await readdir(lib)) {
    if (connectorJarPrefixes.some((p) => jar.startsWith(p)) && !existsSync(join(paths.connectorJarsDir, jar))) {
      await cp(join(lib, jar), join(paths.connectorJarsDir, jar));
    }
  }
  return paths;
}

const flinkRecipes = ['flink-requirements.txt', 'flink-extras.pom.xml'];

async function recipeHash(recipes: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const recipe of recipes) hash.update(await readFile(join(pomDir, recipe)));
  return hash.digest('hex');
}

async function isComplete(dir: string, ...recipes: string[]): Promise<boolean> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return false;
  }
  if (manifest.recipe !== (await recipeHash(recipes))) return false;
  // Sizes are checked on every start (cheap); contents were verified against the registries'
  // checksums when downloaded and their sha256 is kept in the manifest for `stack verify`-style audits.
  for (const [file, { bytes }] of Object.entries(manifest.files)) {
    try {
      if ((await stat(join(dir, file))).size !== bytes) return false;
    } catch {
      return false;
    }
  }
  return true;
}

async function writeManifest(dir: string, files: string[], recipes: string[]): Promise<void> {
  const manifest: Manifest = { resolvedAt: new Date().toISOString(), recipe: await recipeHash(recipes), files: {} };
  for (const file of files) {
    const path = join(dir, file);
    manifest.files[file] = { bytes: (await stat(path)).size, sha256: await sha256(path) };
  }
  await writeFile(join(dir, MANIFEST), JSON.stringify(manifest, null, 2));
}

function sha256(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

async function resolveMaven(config: ResolvedConfig, pom: string, target: string, label: string, progress: Progress): Promise<void> {
  const staging = `${target}.partial`;
  await rm(staging, { recursive: true, force: true });
  progress.step(`downloading ${label} (Maven)`);
  const bar = progress.bar(label, 0, ' files downloaded');
  let files = 0;
  await runTool(
    'mvn',
    [
      '-B', '--strict-checksums', '-f', join(pomDir, pom),
      `-Dmaven.repo.local=${join(config.cacheDir, 'm2')}`,
      'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime',
    ],
    `resolving ${label} with Maven`,
    config,
    (line) => {
      // "Downloaded from <repository>: <url>/<file> (<size> at <speed>)"
      const downloaded = /^Downloaded from [^:]+: \S*\/([^/\s]+) \(/.exec(line);
      if (downloaded) {
        files += 1;
        bar.update(files, { detail: downloaded[1]!.slice(0, 60) });
      }
    },
  );
  bar.stop();
  await writeManifest(staging, await readdir(staging), [pom]);
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
}

async function resolveFlink(config: ResolvedConfig, flinkHome: string, progress: Progress): Promise<void> {
  const downloads = join(config.cacheDir, 'downloads');
  const staging = `${flinkHome}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(downloads, { recursive: true });

  progress.step(`downloading Flink ${versions.flink} distribution (PyPI, about 320 MB)`);
  const pipArgs = [
    '-m', 'pip', 'download', '--no-deps', '--require-hashes', '--disable-pip-version-check',
    '--only-binary=:all:', '--implementation', 'cp', '--python-version', '3.11', '--abi', 'cp311',
    '--platform', 'manylinux2014_x86_64', '--platform', 'any',
    '-r', join(pomDir, 'flink-requirements.txt'), '-d', downloads,
  ];
  await runTool('python3', progress.enabled ? pipArgs : [...pipArgs, '--progress-bar', 'off'], `downloading Flink ${versions.flink} with pip`, config, undefined, progress.enabled);

  progress.step(`unpacking Flink ${versions.flink}`);
  const wheels = (await readdir(downloads)).filter((f) => f.endsWith('.whl') && f.includes(`-${versions.flink}-`));
  const unpacked = join(staging, '.unpacked');
  for (const wheel of wheels) {
    await runTool('python3', ['-m', 'zipfile', '-e', join(downloads, wheel), unpacked], `unpacking ${wheel}`, config);
  }
  for (const folder of ['bin', 'conf', 'lib', 'opt', 'plugins']) {
    const from = join(unpacked, 'pyflink', folder);
    if (!existsSync(from)) throw new InfrastructureError('TIPSTREAM_DOWNLOAD', `the Flink wheels hold no pyflink/${folder}/ folder`);
    await cp(from, join(staging, folder), { recursive: true });
  }
  await rm(unpacked, { recursive: true, force: true });
  for (const script of await readdir(join(staging, 'bin'))) await chmod(join(staging, 'bin', script), 0o755);

  // The SQL Gateway jar goes to opt/ (sql-gateway.sh looks there); connectors go to lib/.
  const extras = `${staging}.extras`;
  await resolveMaven(config, 'flink-extras.pom.xml', extras, `Flink ${versions.flink} SQL Gateway and connectors`, progress);
  for (const jar of await readdir(extras)) {
    if (!jar.endsWith('.jar')) continue;
    await cp(join(extras, jar), join(staging, jar.startsWith('flink-sql-gateway-') ? 'opt' : 'lib', jar));
  }
  await rm(extras, { recursive: true, force: true });

  await writeManifest(staging, await listFiles(staging), flinkRecipes);
  await rm(flinkHome, { recursive: true, force: true });
  await rename(staging, flinkHome);
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? join(prefix, entry.name) : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** Runs a build tool; its output goes to a log in the cache; a failure names the log. */
async function runTool(
  command: string,
  args: string[],
  what: string,
  config: ResolvedConfig,
  onLine?: (line: string) => void,
  inheritOutput = false,
): Promise<void> {
  const logDir = join(config.cacheDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const logFile = join(logDir, `${command}-${Date.now()}.log`);
  const lines: string[] = [];
  const code = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', inheritOutput ? 'inherit' : 'pipe', inheritOutput ? 'inherit' : 'pipe'] });
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        const clean = line.replace(/\x1b\[[0-9;]*m/g, '').replace(/^\[INFO\] /, '').trim();
        if (!clean) continue;
        lines.push(clean);
        onLine?.(clean);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new UserError('TIPSTREAM_NOT_FOUND', `${command} is not installed, but tipstream needs it for ${what} (prerequisites: Node 20+, Java 17, Maven, Python 3 with pip)`));
      else reject(err);
    });
    child.on('close', (exitCode) => resolvePromise(exitCode ?? 1));
  });
  await writeFile(logFile, lines.join('\n'));
  if (code !== 0) {
    const tail = lines.filter((l) => /error|fail|could not|hash/i.test(l)).slice(-3).join(' | ');
    throw new InfrastructureError('TIPSTREAM_DOWNLOAD', `${what} failed (exit ${code}; full output in ${logFile})${tail ? `: ${tail}` : ''}`);
  }
}
