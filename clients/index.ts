// Clients of the services tipstream talks to: Kafka (connection options for every client and the
// SQL, topics), Flink's REST API, the Flink SQL Gateway, and the Cassandra results table.
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
// #26: orchestrator/relay.ts, cli/start.ts and cli/live.ts still take kafkaEndpoint from here; once
// they import it from common/client-options.ts (with the ResultSink change), this line goes.
export { kafkaEndpoint } from '../common/client-options.js';
export { FlinkRestClient, summarizeStackTrace, type FlinkRestOptions, terminalStates, type JobDetails, type JobState, type JobVertex } from './flink-rest-client.js';
export { SqlGatewayClient, SqlGatewaySession, SqlStatementError, type SqlGatewayOptions, type StatementResult } from './sql-gateway-client.js';
export { clientOptions, describeTarget, isRetriableWriteError, isUnprepared, redact, ResultsTable, retryAfterMs, TABLE } from './cassandra-store.js';
export { parseWindowResult, windowResultColumns, windowResultSchema, type WindowResult } from './window-result.js';
export { subscribedRoundRobinAssigner } from './group-assigner.js';
