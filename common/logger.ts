// Structured logs to stderr (stdout is for what a person asked for: tables, results, JSON).
import { pino, type Logger } from 'pino';
import { logLevelFromEnvironment } from './config.js';

// Until a configuration is loaded; loading one (cli/flags.ts) sets its `logLevel`.
const level = logLevelFromEnvironment();

export const logger: Logger = pino(
  {
    level,
    base: undefined,
    // Secrets must never reach a log line, whatever object is logged.
    redact: { paths: ['*.connectionString', '*.password', 'connectionString', 'password', '*.sasl'], censor: '<redacted>' },
  },
  pino.destination({ fd: 2, sync: true }),
);

export function childLogger(component: string): Logger {
  return logger.child({ component });
}
