// Clients of the services tipstream talks to: Kafka (connection options for every client and the
// SQL, topics), Flink's REST API, the Flink SQL Gateway, and the relay's result sinks (the
// Cassandra results table, CSV files) behind one interface.
export {
  ensureTopics,
  topicPartitions,
  kafkaConnection,
  kafkaSqlOptions,
  librdkafkaConnection,
  recreateTopics,
  transactionTimeoutSqlOption,
  KAFKA_TRANSACTION_TIMEOUT_MS,
  SHADED_PLAIN_LOGIN_MODULE,
  type KafkaClientChoice,
  type KafkaEndpoint,
  type KafkaTopicOptions,
  type LibrdkafkaConnection,
} from './kafka.js';
export { FlinkRestClient, summarizeStackTrace, type FlinkRestOptions, terminalStates, type JobDetails, type JobState, type JobVertex } from './flink-rest-client.js';
export { SqlGatewayClient, SqlGatewaySession, SqlStatementError, type SqlGatewayOptions, type StatementResult } from './sql-gateway-client.js';
export { CassandraSink, clientOptions, describeTarget, isRetriableWriteError, isUnprepared, redact, ResultsTable, retryAfterMs, TABLE, type CassandraOptions } from './cassandra-store.js';
export { FilesSink, resultFileName, resultsCsv, type FilesSinkOptions } from './files-sink.js';
export { batchRows, type OpenedResultSink, type ResultBatch, type ResultBatchPart, type ResultReader, type ResultSink, type Retrying } from './result-sink.js';
export { parseWindowResult, windowResultColumns, windowResultSchema, type WindowResult } from './window-result.js';
export { subscribedRoundRobinAssigner } from './group-assigner.js';
