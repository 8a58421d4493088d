// Structured logs to stderr (stdout is for what a person asked for: tables, results, JSON).
import { pino, type Logger } from 'pino';

const level = process.env.TIPSTREAM_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');

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
