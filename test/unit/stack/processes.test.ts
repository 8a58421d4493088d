import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PortInUseError } from '../../../common/errors.js';
import { assertPortFree, isRunning, launchDetached, stopProcess } from '../../../stack/processes.js';

describe('assertPortFree', () => {
  it('fails with an error naming the port and the service when the port is taken', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const attempt = assertPortFree('kafka', '127.0.0.1', port);
      await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
      await expect(assertPortFree('kafka', '127.0.0.1', port)).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use, so kafka cannot start there`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('accepts a free port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    await expect(assertPortFree('kafka', '127.0.0.1', port)).resolves.toBeUndefined();
  });
});

describe('background processes', () => {
  it('starts a detached process, sees it running, and stops exactly it by pid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tipstream-proc-'));
    const identity = launchDetached({ command: 'sleep', args: ['60'], env: process.env, cwd: dir, logFile: join(dir, 'sleep.log') });
    expect(isRunning(identity)).toBe(true);
    await stopProcess(identity, 5000);
    expect(isRunning(identity)).toBe(false);
  });

  it('does not take a recycled pid for the process it started', () => {
    expect(isRunning({ pid: process.pid, startTicks: 1 })).toBe(false);
  });
});

describe('listening ports', () => {
  it('finds the ports a process listens on', async () => {
    const { createServer } = await import('node:net');
    const { listeningPorts } = await import('../../../stack/processes.js');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(listeningPorts(process.pid)).toContain(port);
      expect(listeningPorts(4_194_304 + 7)).toEqual([]);
    } finally {
      server.close();
    }
  });
});
