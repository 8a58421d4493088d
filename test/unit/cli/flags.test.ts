import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { configFlags, defaultShown, type ConfigPath } from '../../../cli/flags.js';
import { builtInDefaults } from '../../../common/config.js';

// The program itself, as a person runs it (it loads the dashboard's server, which jest's VM modules cannot).
const helps = new Map<string, string>();
function help(...names: string[]): string {
  const key = names.join(' ');
  if (!helps.has(key)) {
    const result = spawnSync(process.execPath, [resolve('bin/tipstream.js'), ...names, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '1000' } });
    helps.set(key, result.stdout.replace(/\s+/g, ' '));
  }
  return helps.get(key)!;
}

describe('the flag table', () => {
  it('shows the built-in default of a setting in the help, not a copy typed by hand', () => {
    const defaults = builtInDefaults();
    expect(help('deploy')).toContain(`(default "${defaults.job.windowSize}")`);
    expect(help('deploy')).toContain(`(default ${defaults.flink.sqlGatewayUrl})`);
    expect(help('relay')).toContain(`(default ${defaults.relay.consumerGroup})`);
    expect(help('stack', 'up')).toContain(`(default ${defaults.stack.ports.kafka})`);
    expect(help('metrics')).toContain(`(default ${defaults.metrics.port})`);
  });

  it('gives each setting one flag, and every flag a setting with a known default or none', () => {
    for (const path of Object.keys(configFlags) as ConfigPath[]) {
      expect(() => defaultShown(path)).not.toThrow();
    }
    expect(defaultShown('cassandra.username')).toBeUndefined();
    expect(defaultShown('cassandra.contactPoints')).toBe('127.0.0.1');
  });

  it('declares --flink once, from the table, on every command that takes it', () => {
    for (const command of ['deploy', 'status', 'stop', 'upgrade', 'metrics', 'dashboard']) {
      expect(help(command).match(/--flink <url>/g)).toHaveLength(1);
    }
  });
});
