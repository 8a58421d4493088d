// `tipstream stack images`: tipstream's own container images, for machines where no container
// registry answers. A Debian base with a Java 17 runtime made by mmdebstrap from the machine's own
// apt sources, then Kafka, Flink and Cassandra from the very artifacts the local stack runs
// (stack/artifacts.ts). Nothing comes from a registry. Each image carries the hash of its inputs
// as a label: an image whose inputs did not change is not rebuilt, and the base's root file
// system is kept in the cache, so an engine that lost its images re-imports it in seconds.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, copyFile, link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot, type ResolvedConfig } from '../common/config.js';
import { UserError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { connectorJarPrefixes, resolveArtifacts } from './artifacts.js';
import { runToCompletion } from './java.js';
import { cassandraImageTemplate, cassandraJvmOptionsText, flinkImageBaseConfig, kafkaImageLog4j } from './containers/image-files.js';
import { cassandraLogbackText, distributionJavaOptions, flinkLog4jAddition } from './service-config.js';
import { localImages } from './versions.js';

const execFileAsync = promisify(execFile);
const imagesDir = resolve(projectRoot, 'stack', 'images');

/** The base: Debian bookworm (its Java 17 is what Cassandra 5.0 and the local stack run on). */
export const baseRecipe = {
  suite: 'bookworm',
  variant: 'minbase',
  packages: ['openjdk-17-jre-headless', 'mawk', 'procps', 'hostname', 'ca-certificates'],
} as const;

export type ImageName = keyof typeof localImages;

export interface BuiltImage {
  name: ImageName;
  tag: string;
  /** built: made now; imported: the base, from the cached root file system; cached: unchanged, left alone. */
  outcome: 'built' | 'imported' | 'cached';
  seconds: number;
}

export interface ImageBuildOptions {
  /** `podman` or `docker`; default stack.containerEngine, else whichever is on PATH (podman first). */
  engine?: string;
  /** Rebuild even when the inputs did not change. */
  force?: boolean;
}

/** The container engine's command line: the one asked for, else podman, else docker. */
export async function containerEngine(preferred?: string): Promise<string> {
  const candidates = preferred ? [preferred] : ['podman', 'docker'];
  for (const candidate of candidates) {
    if (await answers(candidate, ['version', '--format', '{{.Client.Version}}'])) return candidate;
  }
  throw new UserError(
    'TIPSTREAM_NOT_FOUND',
    preferred
      ? `the container engine '${preferred}' does not run`
      : 'building images needs podman or docker on PATH (on Debian: apt-get install podman); see stack/CONTAINERS.md',
  );
}

async function answers(command: string, args: string[]): Promise<boolean> {
  try {
    await execFileAsync(command, args, { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Builds whatever is missing or out of date; returns what it did per image, base first. */
export async function buildLocalImages(config: ResolvedConfig, progress: Progress, options: ImageBuildOptions = {}): Promise<BuiltImage[]> {
  const engine = await containerEngine(options.engine ?? config.stack.containerEngine);
  const artifacts = await resolveArtifacts(config, progress);
  const work = join(config.cacheDir, 'images');
  await mkdir(work, { recursive: true });
  const results: BuiltImage[] = [];

  const baseHash = sha256(JSON.stringify(baseRecipe));
  results.push(await ensureBase(engine, work, baseHash, progress, options.force === true));

  const contexts: Array<{ name: Exclude<ImageName, 'base'>; fill: (dir: string) => Promise<string[]> }> = [
    {
      name: 'kafka',
      fill: async (dir) => {
        await linkTree(artifacts.kafkaLibDir, join(dir, 'libs'));
        await writeFile(join(dir, 'log4j2.properties'), kafkaImageLog4j());
        return [await manifestFiles(artifacts.kafkaLibDir), kafkaImageLog4j()];
      },
    },
    {
      name: 'flink',
      fill: async (dir) => {
        const flinkDir = join(dir, 'flink');
        // The connector jars are mounted at lib/tipstream, as with the flink image: not baked in.
        await linkTree(artifacts.flinkHome, flinkDir, (path) => path.startsWith('lib/') && connectorJarPrefixes.some((p) => path.startsWith(`lib/${p}`)));
        await rm(join(flinkDir, 'conf', 'config.yaml'), { force: true });
        // The console log settings are a link into the cache: write a copy before appending.
        const console = join(flinkDir, 'conf', 'log4j-console.properties');
        await rm(console);
        await copyFile(join(artifacts.flinkHome, 'conf', 'log4j-console.properties'), console);
        await appendFile(console, flinkLog4jAddition);
        const base = flinkImageBaseConfig(distributionJavaOptions(await readFile(join(artifacts.flinkHome, 'conf', 'config.yaml'), 'utf8')));
        await writeFile(join(dir, 'config.base.yaml'), base);
        return [await manifestFiles(artifacts.flinkHome), base, flinkLog4jAddition];
      },
    },
    {
      name: 'cassandra',
      fill: async (dir) => {
        await linkTree(artifacts.cassandraLibDir, join(dir, 'lib'));
        const files = { 'cassandra.template.yaml': cassandraImageTemplate(), 'logback.xml': cassandraLogbackText, 'jvm17.options': cassandraJvmOptionsText() };
        for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
        return [await manifestFiles(artifacts.cassandraLibDir), ...Object.values(files)];
      },
    },
  ];
  for (const { name, fill } of contexts) {
    const started = Date.now();
    const tag = localImages[name];
    const recipeDir = join(imagesDir, name);
    const recipeFiles = (await readdir(recipeDir)).sort();
    const context = join(work, 'context', name);
    await rm(context, { recursive: true, force: true });
    await mkdir(context, { recursive: true });
    const inputs = await fill(context);
    for (const file of recipeFiles) await copyFile(join(recipeDir, file), join(context, file));
    const hash = sha256(JSON.stringify([baseHash, inputs, await Promise.all(recipeFiles.map((f) => readFile(join(recipeDir, f), 'utf8')))]));
    if (!options.force && (await imageInputs(engine, tag)) === hash) {
      await rm(context, { recursive: true, force: true });
      results.push({ name, tag, outcome: 'cached', seconds: (Date.now() - started) / 1000 });
      continue;
    }
    progress.step(`building ${tag} with ${engine}`);
    await runToCompletion(engine, ['build', '--build-arg', `BASE=${localImages.base}`, '--label', `tipstream.inputs=${hash}`, '-t', tag, '-f', join(context, 'Containerfile'), context], `building ${tag}`);
    await rm(context, { recursive: true, force: true });
    results.push({ name, tag, outcome: 'built', seconds: (Date.now() - started) / 1000 });
  }
  return results;
}

async function ensureBase(engine: string, work: string, hash: string, progress: Progress, force: boolean): Promise<BuiltImage> {
  const started = Date.now();
  const tag = localImages.base;
  if (!force && (await imageInputs(engine, tag)) === hash) return { name: 'base', tag, outcome: 'cached', seconds: 0 };
  const rootfs = join(work, `base-${hash.slice(0, 16)}.tar`);
  let outcome: BuiltImage['outcome'] = 'imported';
  if (force || !existsSync(rootfs)) {
    outcome = 'built';
    const mirror = await debianMirror();
    const mmdebstrap = (await answers('mmdebstrap', ['--version'])) ? 'mmdebstrap' : undefined;
    if (!mmdebstrap) throw new UserError('TIPSTREAM_NOT_FOUND', 'the base image is made with mmdebstrap, which is not installed (on Debian: apt-get install mmdebstrap)');
    progress.step(`making the base file system (Debian ${baseRecipe.suite}, ${baseRecipe.packages.join(', ')}) with mmdebstrap; about a minute`);
    const partial = rootfs.replace(/\.tar$/, '.partial.tar');
    await runToCompletion(mmdebstrap, [`--variant=${baseRecipe.variant}`, `--include=${baseRecipe.packages.join(',')}`, '--aptopt=Acquire::Retries "3"', baseRecipe.suite, partial, mirror], 'mmdebstrap');
    await rename(partial, rootfs);
  }
  progress.step(`importing ${tag} from ${rootfs}`);
  await runToCompletion(engine, ['import', '--change', `LABEL tipstream.inputs=${hash}`, '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--change', 'ENV LANG=C.UTF-8', rootfs, tag], `importing ${tag}`);
  return { name: 'base', tag, outcome, seconds: (Date.now() - started) / 1000 };
}

/**
 * The Debian mirror this machine's apt uses for the main archive (deb822 .sources files or
 * sources.list): the base comes from where the machine's own packages come from.
 */
export async function debianMirror(): Promise<string> {
  const candidates: string[] = [];
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.sources') || f.endsWith('.list')).map((f) => join(dir, f)) : [];
  for (const file of ['/etc/apt/sources.list', ...files]) {
    if (!existsSync(file)) continue;
    candidates.push(...mirrorsIn(await readFile(file, 'utf8')));
  }
  const mirror = candidates.find((uri) => !/security/.test(uri));
  if (!mirror) throw new UserError('TIPSTREAM_NOT_FOUND', 'no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/; the base image is made from it');
  return mirror;
}

/** The archive URIs of an apt sources file, one-line (`deb URI suite ...`) or deb822 (`URIs: ...`). */
export function mirrorsIn(text: string): string[] {
  const uris: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
    if (oneLine) uris.push(oneLine[1]!);
    const deb822 = /^URIs:\s*(.+)$/i.exec(line);
    if (deb822) uris.push(...deb822[1]!.split(/\s+/).filter(Boolean));
  }
  return uris;
}

/** The tipstream.inputs label of a local image, or undefined when the engine has no such image. */
async function imageInputs(engine: string, tag: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync(engine, ['image', 'inspect', '--format', '{{ index .Config.Labels "tipstream.inputs" }}', tag], { timeout: 60_000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A completed artifact folder's file list with checksums (stack/artifacts.ts writes it). */
async function manifestFiles(dir: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(dir, '.tipstream-complete.json'), 'utf8')) as { files: unknown };
  return JSON.stringify(manifest.files);
}

/** Hard links of a folder's files (copies across file systems), skipping the manifest and `skip`. */
async function linkTree(source: string, target: string, skip: (relative: string) => boolean = () => false, relative = ''): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const path = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.name === '.tipstream-complete.json' || skip(path)) continue;
    const from = join(source, entry.name);
    const to = join(target, entry.name);
    if (entry.isDirectory()) {
      await linkTree(from, to, skip, path);
    } else if (entry.isFile()) {
      await link(from, to).catch(async () => copyFile(from, to));
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
