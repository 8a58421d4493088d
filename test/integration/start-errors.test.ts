// `tipstream start` on the shared stack, with a boundaries file the udf-service cannot read: the
// error names the step that failed and the service's own error line (it once said `kill ESRCH`),
// and the failed udf-service is forgotten: the stack's supervisor once started it again and again
// with the same bad file, then left the udf-service down for every later run (a crash loop).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { recordedApps } from '../../stack/index.js';
import { freePort } from '../support/free-port.js';

it("names the step that failed and the udf-service's own error", async () => {
  const broken = join(mkdtempSync(join(tmpdir(), 'tipstream-start-')), 'broken.zip');
  writeFileSync(broken, 'this is not a zip archive');
  const child = spawn(process.execPath, [resolve('bin/tipstream.js'), 'start', '--boundaries', broken], {
    env: { ...process.env, TIPSTREAM_UDF_PORT: String(await freePort()) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));

  expect(code).toBe(1);
  expect(stdout).toContain('2/6 udf-service');
  expect(stdout).not.toContain('3/6');
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^tipstream: step 2\/6 udf-service \(neighborhood lookup\): the udf-service did not start: boundaries \S+broken\.zip: is not a readable zip archive/);
  expect(stderr).toMatch(/\(log: \S+udf-service\.log\)\n$/);
  expect(stderr).not.toContain('ESRCH');
  expect((await recordedApps(loadConfig()))['udf-service']).toBeUndefined();
}, 180_000);
