// The one place the settings are mapped onto the options of the clients of outside services
// (clients/: Kafka, Flink REST, SQL Gateway, the Cassandra results table), which take their own small options types and never
// the whole configuration. The shapes are those types' own: TypeScript checks them where a client
// is made. The Kafka connection string, a secret, stays inside the endpoint object.
import type { ResolvedConfig } from './config.js';

/** Where Kafka is, how to log in, and which client the generator's producer uses (clients/ KafkaEndpoint). */
export function kafkaEndpoint(config: ResolvedConfig) {
  const { bootstrapServers, connectionString, caFile, client } = config.kafka;
  return { bootstrapServers, client, ...(connectionString !== undefined ? { connectionString } : {}), ...(caFile !== undefined ? { caFile } : {}) };
}

/** The endpoint, and how many partitions a topic gets when ensureTopics creates it (clients/ KafkaTopicOptions). */
export function kafkaTopicOptions(config: ResolvedConfig) {
  return { ...kafkaEndpoint(config), partitions: config.kafka.partitions };
}

/** Flink's REST API (clients/ FlinkRestOptions). */
export function flinkRestOptions(config: ResolvedConfig) {
  return { url: config.flink.restUrl };
}

/** The SQL Gateway (clients/ SqlGatewayOptions). */
export function sqlGatewayOptions(config: ResolvedConfig) {
  return { url: config.flink.sqlGatewayUrl };
}

/** The Cassandra / Cosmos DB results table (clients/ CassandraOptions), secrets included: they stay in there, and `redact` takes them out of messages. */
export function cassandraOptions(config: ResolvedConfig) {
  const { contactPoints, port, localDataCenter, keyspace, username, password, tls, caFile, profile } = config.cassandra;
  return { contactPoints, port, localDataCenter, keyspace, username, password, tls, caFile, profile, concurrency: config.relay.concurrency };
}
