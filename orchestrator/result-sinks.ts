// The table of the result sinks `relay.sinks` can name, made from the configuration: a new sink is
// a file of its own in clients/ plus its row here (and its name in common/config.ts's `sinkNames`,
// which this table must then cover).
import { cassandraOptions } from '../common/client-options.js';
import type { ResolvedConfig, SinkName } from '../common/config.js';
import { CassandraSink, FilesSink, ResultsTable, type ResultReader, type ResultSink } from '../clients/index.js';

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
