// The one mapping from tipstream's configuration to the result sinks' own options, and the table
// of the sinks `relay.sinks` can name: a new sink is a file of its own plus its row here (and its
// name in common/config.ts's `sinkNames`, which this table must then cover).
import type { ResolvedConfig, SinkName } from '../common/config.js';
import { CassandraSink, ResultsTable, type CassandraOptions } from './cassandra-store.js';
import { FilesSink } from './files-sink.js';
import type { ResultReader, ResultSink } from './result-sink.js';

/** The results table's options, secrets included (they stay in there; `redact` takes them out of messages). */
export function cassandraOptions(config: ResolvedConfig): CassandraOptions {
  const { contactPoints, port, localDataCenter, keyspace, username, password, tls, caFile, profile } = config.cassandra;
  return { contactPoints, port, localDataCenter, keyspace, username, password, tls, caFile, profile, concurrency: config.relay.concurrency };
}

const sinks = {
  cassandra: (config) => new CassandraSink(cassandraOptions(config)),
  files: (config) => new FilesSink({ dir: config.relay.filesDir }),
} satisfies Record<SinkName, (config: ResolvedConfig) => ResultSink>;

/** The sinks `relay.sinks` lists, configured, in its order. */
export function configuredSinks(config: ResolvedConfig): ResultSink[] {
  return config.relay.sinks.map((name) => sinks[name](config));
}

/** Where results are read back (`tipstream results`, `npm start`'s table, the dashboard): the Cassandra table. */
export function openResultReader(config: ResolvedConfig): Promise<ResultReader> {
  return ResultsTable.open(cassandraOptions(config), { createSchema: false });
}
