import { BadParameter, errorReply } from '../../../../cli/dashboard/http-errors.js';
import { TipstreamError } from '../../../../common/errors.js';

const describe_ = (err: unknown) => `described: ${(err as Error).message}`;

describe('errorReply', () => {
  it('answers a bad parameter with a 400 that names it', () => {
    expect(errorReply(new BadParameter('from', 'query parameter from: bad'), describe_)).toEqual({
      status: 400,
      body: { error: 'query parameter from: bad', parameter: 'from' },
      serverFault: false,
    });
  });

  it('makes a bad parameter a TipstreamError that asking again does not cure', () => {
    expect(new BadParameter('from', 'bad')).toMatchObject({ name: 'BadParameter', code: 'TIPSTREAM_BAD_REQUEST', retriable: false, parameter: 'from' });
    expect(new BadParameter('from', 'bad')).toBeInstanceOf(TipstreamError);
  });

  it("keeps a plugin's 403 for a traversal path instead of turning it into a 503", () => {
    const forbidden = Object.assign(new Error('Forbidden path'), { statusCode: 403, code: 'FST_STATIC_FORBIDDEN_PATH' });
    expect(errorReply(forbidden, describe_)).toEqual({ status: 403, body: { error: 'Forbidden path' }, serverFault: false });
  });

  it("keeps fastify's own client errors (400, 404, 405, 415)", () => {
    for (const statusCode of [400, 404, 405, 415]) {
      expect(errorReply(Object.assign(new Error('client'), { statusCode }), describe_).status).toBe(statusCode);
    }
  });

  it('answers a failure of Cassandra, or anything without a client status, with a 503 worth a warning', () => {
    expect(errorReply(new Error('All host(s) tried for query failed'), describe_)).toEqual({
      status: 503,
      body: { error: 'described: All host(s) tried for query failed' },
      serverFault: true,
    });
    expect(errorReply(Object.assign(new Error('upstream'), { statusCode: 500 }), describe_).status).toBe(503);
    expect(errorReply('a string thrown', () => 'a string thrown').status).toBe(503);
  });
});
