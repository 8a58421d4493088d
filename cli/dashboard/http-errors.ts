// How the dashboard answers a request that failed: what the client got wrong keeps its 4xx (a
// bad parameter of ours, or fastify's and its plugins' own: a traversal path is the static
// plugin's 403, a malformed URL fastify's 400), and only a failure of what the dashboard depends
// on (Cassandra) is a 503. A scanner probing paths must never look like an outage.
import { TipstreamError } from '../../common/errors.js';

/** A query parameter the client got wrong: a 400 naming it. */
export class BadParameter extends TipstreamError {
  constructor(readonly parameter: string, message: string) {
    super('TIPSTREAM_BAD_REQUEST', message);
  }
}

export interface ErrorReply {
  status: number;
  body: { error: string; parameter?: string };
  /** Worth a warning in the log: the dashboard, not the client, failed. */
  serverFault: boolean;
}

export function errorReply(err: unknown, describe: (err: unknown) => string): ErrorReply {
  if (err instanceof BadParameter) return { status: 400, body: { error: err.message, parameter: err.parameter }, serverFault: false };
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: (err as Error).message }, serverFault: false };
  }
  return { status: 503, body: { error: describe(err) }, serverFault: true };
}
