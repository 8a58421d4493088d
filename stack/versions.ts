// The pinned versions of everything the local stack runs. docker-compose.yml and the
// testcontainers provider name the same versions (a test checks it).

export const versions = {
  kafka: '4.3.1',
  scala: '2.13',
  flink: '2.2.1',
  /** Flink's Kafka SQL connector built for Flink 2.2. */
  flinkKafkaConnector: '5.0.0-2.2',
  /**
   * GetInData's HTTP lookup connector ('connector' = 'rest-lookup'). Apache's
   * flink-sql-connector-http 1.0.0-2.2 is not served by Maven Central here; this one is, and its
   * async lookup runs on Flink 2.2.1 (proved by test/integration/stack.test.ts).
   */
  httpConnector: '0.25.0',
  cassandra: '5.0.8',
  /** Log4j 2 for Kafka's SLF4J 2 API (Kafka's POM brings no logging backend). */
  log4j: '2.24.3',
} as const;

/** Container images with the same versions, for docker-compose.yml and the testcontainers provider. */
export const images = {
  kafka: `apache/kafka:${versions.kafka}`,
  flink: `flink:${versions.flink}-scala_2.12-java17`,
  cassandra: `cassandra:${versions.cassandra}`,
} as const;

/**
 * tipstream's own images (`tipstream stack images`, stack/images.ts), for machines where no
 * registry answers: the same versions, built from the local stack's artifacts. `localhost/` is
 * where Podman keeps a locally built image, and a name no registry serves for Docker.
 */
export const localImages = {
  base: 'localhost/tipstream/base:bookworm-jre17',
  kafka: `localhost/tipstream/kafka:${versions.kafka}`,
  flink: `localhost/tipstream/flink:${versions.flink}`,
  cassandra: `localhost/tipstream/cassandra:${versions.cassandra}`,
} as const;
