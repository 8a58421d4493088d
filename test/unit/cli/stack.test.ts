// The command line as a person meets it: help, and one-line errors for wrong flags and values.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const bin = resolve('bin/tipstream.js');

function run(...args: string[]) {
  const state = mkdtempSync(join(tmpdir(), 'tipstream-cli-'));
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TIPSTREAM_STATE_DIR: state, TIPSTREAM_CACHE_DIR: join(state, 'cache') },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('tipstream stack', () => {
  it('explains its subcommands in --help', () => {
    const { code, stdout } = run('stack', '--help');
    expect(code).toBe(0);
    for (const sub of ['up', 'down', 'status', 'logs']) expect(stdout).toMatch(new RegExp(`\\n\\s+${sub}\\b`));
  });

  it('rejects a bad port with one line naming the flag, and no stack trace', () => {
    const { code, stderr } = run('stack', 'up', '--kafka-port', 'ninety');
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^tipstream: invalid setting stack\.ports\.kafka from --kafka-port/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects an unknown flag naming it', () => {
    const { code, stderr } = run('stack', 'up', '--kafak-port', '1');
    expect(code).not.toBe(0);
    expect(stderr).toContain("unknown option '--kafak-port'");
  });

  it('rejects an unknown service for logs, listing the known ones', () => {
    const { code, stderr } = run('stack', 'logs', 'zookeeper');
    expect(code).toBe(2);
    expect(stderr).toContain("unknown service 'zookeeper'; choose one of kafka, cassandra, flink-jobmanager, flink-taskmanager, sql-gateway");
  });

  it('reports every service as not started when nothing runs', () => {
    const { code, stdout } = run('stack', 'status', '--json', '--kafka-port', '1', '--flink-port', '2', '--sql-gateway-port', '3', '--cassandra-port', '4');
    expect(code).toBe(0);
    const statuses = JSON.parse(stdout) as Array<{ service: string; answers: boolean; pid?: number }>;
    expect(statuses.map((s) => s.service)).toEqual(['kafka', 'cassandra', 'flink-jobmanager', 'flink-taskmanager', 'sql-gateway']);
    expect(statuses.every((s) => !s.answers && s.pid === undefined)).toBe(true);
  });
});
