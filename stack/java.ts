// Finds the Java 17 runtime the stack needs (Cassandra 5.0 runs on 11 or 17, not newer) and runs
// short Java tools to completion.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childEnvironment } from '../common/config.js';
import { InfrastructureError, UserError } from '../common/errors.js';

const execFileAsync = promisify(execFile);

/** The `java` executable of a Java 17 runtime: $TIPSTREAM_JAVA_HOME, $JAVA_HOME, PATH, then /usr/lib/jvm. */
export async function findJava17(env: NodeJS.ProcessEnv = childEnvironment()): Promise<string> {
  const candidates: string[] = [];
  for (const home of [env.TIPSTREAM_JAVA_HOME, env.JAVA_HOME]) if (home) candidates.push(join(home, 'bin', 'java'));
  candidates.push('java');
  if (existsSync('/usr/lib/jvm')) {
    for (const dir of readdirSync('/usr/lib/jvm').filter((d) => d.includes('17')).sort()) candidates.push(join('/usr/lib/jvm', dir, 'bin', 'java'));
  }
  const seen: string[] = [];
  for (const java of candidates) {
    const major = await javaMajorVersion(java);
    if (major === 17) return java;
    if (major !== undefined) seen.push(`${java} is Java ${major}`);
  }
  throw new UserError(
    'TIPSTREAM_NOT_FOUND',
    `the local stack needs Java 17 (Cassandra 5.0 refuses newer Java), but none was found${seen.length ? ` (${seen.join('; ')})` : ''}; install it or set TIPSTREAM_JAVA_HOME`,
  );
}

async function javaMajorVersion(java: string): Promise<number | undefined> {
  try {
    const { stderr } = await execFileAsync(java, ['-XshowSettings:properties', '-version'], { timeout: 20_000 });
    const match = /java\.specification\.version = (\d+)/.exec(stderr);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a command and waits for it; a non-zero exit becomes an error carrying its last output. */
export async function runToCompletion(command: string, args: string[], what: string): Promise<void> {
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve(exitCode ?? 1));
  });
  if (code !== 0) {
    const tail = output.join('').trim().split('\n').slice(-3).join(' | ');
    throw new InfrastructureError('TIPSTREAM_START', `${what} failed (exit ${code}): ${tail}`);
  }
}
