// A file or folder that does not exist is one line naming the path and where it was set, before
// anything is started or connected.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeSetting, loadConfig, requireExistingPath } from '../../../common/config.js';

const bin = resolve('bin/tipstream.js');

function run(args: string[], env: Record<string, string> = {}) {
  const state = mkdtempSync(join(tmpdir(), 'tipstream-cli-'));
  // Ports where nothing listens: reaching any service would fail differently (and later).
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TIPSTREAM_STATE_DIR: state, TIPSTREAM_CACHE_DIR: join(state, 'cache'), TIPSTREAM_KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1', ...env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectOneLine(result: ReturnType<typeof run>, line: string): void {
  expect(result.stderr.trim().split('\n')).toEqual([line]);
  expect(result.code).toBe(2);
}

describe('missing files', () => {
  it('udf serve names a missing --boundaries', () => {
    expectOneLine(run(['udf', 'serve', '--boundaries', '/nowhere/boundaries.zip', '--port', '1']), 'tipstream: udf.boundaries from --boundaries: /nowhere/boundaries.zip does not exist');
  });

  it('udf serve names the environment variable a missing boundaries file came from', () => {
    expectOneLine(run(['udf', 'serve', '--port', '1'], { TIPSTREAM_UDF_BOUNDARIES: '/nowhere/zones.shp' }), 'tipstream: udf.boundaries from TIPSTREAM_UDF_BOUNDARIES: /nowhere/zones.shp does not exist');
  });

  it('generate names a missing --input file before it connects to Kafka', () => {
    expectOneLine(run(['generate', '--input', '/nowhere/trips.csv.gz']), 'tipstream: --input: /nowhere/trips.csv.gz does not exist');
  });

  it('generate names a missing --input folder', () => {
    expectOneLine(run(['generate', '--format', 'foil', '--input', '/nowhere/foil2013']), 'tipstream: --input: /nowhere/foil2013 does not exist');
  });

  it('start names a missing --input before it starts anything', () => {
    const result = run(['start', '--input', '/nowhere/trips.csv']);
    expectOneLine(result, 'tipstream: --input: /nowhere/trips.csv does not exist');
    expect(result.stdout).toBe('');
  });

  it('start names a missing --boundaries before it starts anything', () => {
    const result = run(['start', '--boundaries', '/nowhere/boundaries.zip']);
    expectOneLine(result, 'tipstream: udf.boundaries from --boundaries: /nowhere/boundaries.zip does not exist');
    expect(result.stdout).toBe('');
  });
});

describe('where a setting came from', () => {
  it('says default, environment variable, config flag', () => {
    const fromDefaults = loadConfig({ env: {} });
    expect(describeSetting(fromDefaults, 'udf.boundaries')).toBe('udf.boundaries (default)');
    const fromEnv = loadConfig({ env: { TIPSTREAM_UDF_BOUNDARIES: 'x.zip' } });
    expect(describeSetting(fromEnv, 'udf.boundaries')).toBe('udf.boundaries from TIPSTREAM_UDF_BOUNDARIES');
    const fromFlag = loadConfig({ env: {}, overrides: { udf: { boundaries: 'y.zip' } }, overrideNames: { 'udf.boundaries': '--boundaries' } });
    expect(describeSetting(fromFlag, 'udf.boundaries')).toBe('udf.boundaries from --boundaries');
  });

  it('every default path is inside the repository, and exists', () => {
    const config = loadConfig({ env: {} });
    expect(config.udf.boundaries.startsWith(join(resolve('.'), 'data'))).toBe(true);
    expect(requireExistingPath(config.udf.boundaries, 'udf.boundaries')).toBe(config.udf.boundaries);
    expect(() => requireExistingPath('/nowhere/x', 'udf.boundaries (default)')).toThrow('udf.boundaries (default): /nowhere/x does not exist');
  });
});
