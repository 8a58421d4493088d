// The one error module of tipstream: every error carries a stable code, an optional cause, and
// says whether retrying can help. The CLI prints user errors as one line and exits non-zero.

export type ErrorCode =
  | 'TIPSTREAM_USAGE'
  | 'TIPSTREAM_CONFIG'
  | 'TIPSTREAM_PORT_IN_USE'
  | 'TIPSTREAM_NOT_FOUND'
  | 'TIPSTREAM_INPUT'
  | 'TIPSTREAM_DOWNLOAD'
  | 'TIPSTREAM_START'
  | 'TIPSTREAM_TIMEOUT'
  | 'TIPSTREAM_UNREACHABLE'
  | 'TIPSTREAM_SQL'
  | 'TIPSTREAM_BUILD'
  | 'TIPSTREAM_BAD_REQUEST'
  | 'TIPSTREAM_CLIENT_GONE';

export interface TipstreamErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

export class TipstreamError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: TipstreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Something the person running tipstream can fix: a flag, a file, a setting, a busy port. */
export class UserError extends TipstreamError {
  readonly exitCode = 2;
}

export class ConfigError extends UserError {
  constructor(message: string, options: TipstreamErrorOptions = {}) {
    super('TIPSTREAM_CONFIG', message, options);
  }
}

export class PortInUseError extends UserError {
  readonly port: number;
  readonly service: string;

  constructor(service: string, host: string, port: number) {
    super(
      'TIPSTREAM_PORT_IN_USE',
      `port ${port} on ${host} is already in use, so ${service} cannot start there; ` +
        `stop what holds it or choose another port (see \`tipstream stack up --help\`)`,
    );
    this.port = port;
    this.service = service;
  }
}

/** A service or download failed; the message says what was attempted and against which address. */
export class InfrastructureError extends TipstreamError {
  readonly exitCode = 1;
}

/** One line for a person: the message, then the causes' messages, without stack traces. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.some((p) => p.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UserError) return err.exitCode;
  return 1;
}
