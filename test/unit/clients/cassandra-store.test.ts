import cassandra from 'cassandra-driver';
import { isRetriableWriteError, isUnprepared } from '../../../clients/index.js';

const codes = cassandra.types.responseErrorCodes;
const response = (code: number, message: string) => {
  const err = new cassandra.errors.ResponseError(code, message);
  return err;
};

describe('Cassandra write errors', () => {
  it('knows a forgotten prepared statement, alone or behind "all hosts tried", as unprepared', () => {
    const unprepared = response(codes.unprepared, 'Prepared query with ID 8f5a not found');
    expect(isUnprepared(unprepared)).toBe(true);
    expect(isUnprepared(new cassandra.errors.NoHostAvailableError({ '127.0.0.1:9042': unprepared }))).toBe(true);
    expect(isUnprepared(new cassandra.errors.NoHostAvailableError({ '127.0.0.1:9042': new Error('connect ECONNREFUSED') }))).toBe(false);
    expect(isUnprepared(response(codes.writeTimeout, 'timed out'))).toBe(false);
    expect(isUnprepared(new Error('Prepared query with ID 8f5a not found'))).toBe(false);
  });

  it('retries what waiting can cure and nothing else', () => {
    expect(isRetriableWriteError(new cassandra.errors.NoHostAvailableError({}))).toBe(true);
    expect(isRetriableWriteError(response(codes.overloaded, 'overloaded'))).toBe(true);
    expect(isRetriableWriteError(response(codes.syntaxError, 'bad CQL'))).toBe(false);
  });
});
