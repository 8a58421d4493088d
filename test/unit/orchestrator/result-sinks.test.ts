import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redact } from '../../../clients/index.js';
import { cassandraOptions } from '../../../common/client-options.js';
import { configuredSinks } from '../../../orchestrator/index.js';
import { loadConfig } from '../../../common/config.js';

const env = { HOME: '/home/someone' };
const cwd = () => mkdtempSync(join(tmpdir(), 'tipstream-sinks-'));

describe('the sinks relay.sinks names', () => {
  it('makes each listed sink, in order, from its own settings', () => {
    const config = loadConfig({ env: { ...env, TIPSTREAM_RELAY_SINKS: 'files,cassandra', TIPSTREAM_RELAY_FILES_DIR: '/data/results' }, cwd: cwd() });
    expect(configuredSinks(config).map((sink) => [sink.name, sink.target])).toEqual([
      ['files', 'CSV files in /data/results'],
      ['cassandra', 'Cassandra at 127.0.0.1:9042'],
    ]);
  });

  it("gives the Cassandra sink its own options, the password inside them and out of every message", () => {
    const config = loadConfig({ env: { ...env, TIPSTREAM_CASSANDRA_PROFILE: 'cosmos', TIPSTREAM_CASSANDRA_USERNAME: 'account', TIPSTREAM_CASSANDRA_PASSWORD: 's3cret-key==', TIPSTREAM_RELAY_CONCURRENCY: '8' }, cwd: cwd() });
    const options = cassandraOptions(config);
    expect(options).toMatchObject({ port: 10350, tls: true, profile: 'cosmos', username: 'account', password: 's3cret-key==', concurrency: 8, keyspace: 'newyorktaxi' });
    const [sink] = configuredSinks(config);
    expect(sink!.target).toBe('Cosmos DB for Apache Cassandra at 127.0.0.1:10350 (TLS)');
    expect(sink!.describe(new Error('login as account with s3cret-key== refused'))).toBe('login as account with *** refused');
    expect(redact(new Error('s3cret-key=='), options)).toBe('***');
  });
});
