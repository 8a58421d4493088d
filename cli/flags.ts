// Helpers shared by every subcommand: one way to read the configuration from flags, one way to
// turn an error into a single line and an exit code.
import type { Command } from 'commander';
import { loadConfig, type ResolvedConfig } from './config.js';
import { describeError, exitCodeOf, UserError } from './errors.js';
import { logger } from './logger.js';

/** A flag that sets a configuration path: `--kafka-port` → `stack.ports.kafka`. */
export interface ConfigFlag {
  flag: string;
  path: string;
}

/** Reads the configuration with the command's flags applied last. */
export function configFor(command: Command, flags: ConfigFlag[] = []): ResolvedConfig {
  const options = command.optsWithGlobals() as Record<string, unknown>;
  const overrides: Record<string, unknown> = {};
  const overrideNames: Record<string, string> = {};
  for (const { flag, path } of flags) {
    const value = options[camelCase(flag)];
    if (value === undefined) continue;
    setPath(overrides, path, value);
    overrideNames[path] = `--${flag}`;
  }
  return loadConfig({ file: options.config as string | undefined, overrides, overrideNames });
}

/** Wraps a command action: errors become one line on stderr and a non-zero exit code. */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (err) {
      if (!(err instanceof UserError)) logger.debug({ err }, 'command failed');
      process.stderr.write(`tipstream: ${describeError(err)}\n`);
      process.exitCode = exitCodeOf(err);
    }
  };
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]!] = value;
}
