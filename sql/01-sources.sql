-- The two hubs, read raw: one STRING column per message, so that a payload which does not parse
-- still reaches the dead-letter topic instead of failing the job. Event time is pickupTime; a
-- time that does not parse falls back to the epoch (a NULL rowtime would fail the job), and such
-- rows are routed to the dead-letter topic by 02-parse.sql, never into the join.

CREATE TEMPORARY TABLE ride_source (
  payload STRING,
  kafkaPartition INT METADATA FROM 'partition' VIRTUAL,
  kafkaOffset BIGINT METADATA FROM 'offset' VIRTUAL,
  eventTime AS RIDE_EVENT_TIME(payload),
  WATERMARK FOR eventTime AS eventTime - ${RIDE_WATERMARK_DELAY}
) WITH (
  'connector' = 'kafka',
  'topic' = ${RIDE_TOPIC},
  'properties.bootstrap.servers' = ${BOOTSTRAP_SERVERS},
  'properties.group.id' = ${CONSUMER_GROUP},
  'scan.startup.mode' = ${STARTUP_MODE},
  ${IDLE_TIMEOUT}
  ${BOUNDED_MODE}
  ${KAFKA_SECURITY}
  'format' = 'raw'
);

-- Fares arrive as one CSV line; the reference's generator prepends the header line and a CRLF,
-- so the time is read from the last line of a message.
CREATE TEMPORARY TABLE fare_source (
  payload STRING,
  kafkaPartition INT METADATA FROM 'partition' VIRTUAL,
  kafkaOffset BIGINT METADATA FROM 'offset' VIRTUAL,
  eventTime AS FARE_EVENT_TIME(payload),
  WATERMARK FOR eventTime AS eventTime - ${FARE_WATERMARK_DELAY}
) WITH (
  'connector' = 'kafka',
  'topic' = ${FARE_TOPIC},
  'properties.bootstrap.servers' = ${BOOTSTRAP_SERVERS},
  'properties.group.id' = ${CONSUMER_GROUP},
  'scan.startup.mode' = ${STARTUP_MODE},
  ${IDLE_TIMEOUT}
  ${BOUNDED_MODE}
  ${KAFKA_SECURITY}
  'format' = 'raw'
);
