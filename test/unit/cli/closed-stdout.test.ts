// A command whose reader goes away (`tipstream ... | head`) ends quietly: no EPIPE, no stack trace.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { exitQuietlyWhenReaderCloses } from '../../../cli/closed-stdout.js';

const bin = resolve('bin/tipstream.js');

/** Runs the real CLI with its stdout a pipe whose reading end is closed before it writes anything. */
async function runWithReaderGone(...args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const state = mkdtempSync(join(tmpdir(), 'tipstream-cli-'));
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, TIPSTREAM_STATE_DIR: state, TIPSTREAM_CACHE_DIR: join(state, 'cache') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stderr };
}

describe('a closed stdout', () => {
  // `stack status` writes its table to stdout through the action helper, like every command,
  // and needs nothing running when pointed at ports where nothing listens.
  const status = ['stack', 'status', '--kafka-port', '1', '--flink-port', '2', '--sql-gateway-port', '3', '--cassandra-port', '4'];

  it('ends a command quietly with status 0', async () => {
    const { code, signal, stderr } = await runWithReaderGone(...status);
    expect(stderr).toBe('');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it('ends a --json command quietly too', async () => {
    const { code, stderr } = await runWithReaderGone(...status, '--json');
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(code).toBe(0);
  });
});

describe('exitQuietlyWhenReaderCloses', () => {
  it('exits on EPIPE', () => {
    const stream = new PassThrough();
    let exits = 0;
    exitQuietlyWhenReaderCloses(stream, () => exits++);
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exits).toBe(1);
  });

  it('still throws any other write error', () => {
    const stream = new PassThrough();
    let exits = 0;
    exitQuietlyWhenReaderCloses(stream, () => exits++);
    expect(() => stream.emit('error', Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' }))).toThrow('ENOSPC');
    expect(exits).toBe(0);
  });
});
