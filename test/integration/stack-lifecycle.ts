// Starts the one real local stack every integration suite shares (or reuses one already up),
// and stops it afterwards if, and only if, the tests started it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { LocalStackProvider } from '../../stack/index.js';

// One marker per state folder: two checkouts with their own stacks never read each other's.
const markerFile = join(tmpdir(), `tipstream-test-stack-${process.getuid?.() ?? 0}-${createHash('sha256').update(loadConfig().stateDir).digest('hex').slice(0, 12)}.json`);

export async function setUp(): Promise<void> {
  const provider = new LocalStackProvider(loadConfig(), createProgress(false));
  const result = await provider.up();
  writeFileSync(markerFile, JSON.stringify({ startedByTests: !result.alreadyUp }));
  process.stderr.write(`\n[integration] stack ${result.alreadyUp ? 'already up, reused' : `started (ready after ${JSON.stringify(result.readySeconds)} s)`}\n`);
}

export async function tearDown(): Promise<void> {
  if (!existsSync(markerFile)) return;
  const { startedByTests } = JSON.parse(readFileSync(markerFile, 'utf8')) as { startedByTests: boolean };
  rmSync(markerFile, { force: true });
  if (startedByTests && process.env.TIPSTREAM_KEEP_STACK !== 'true') {
    await new LocalStackProvider(loadConfig(), createProgress(false)).down();
  }
}
