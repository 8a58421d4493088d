-- The two hubs, read raw: one STRING column per message, so that a payload which does not parse
-- still reaches the dead-letter topic instead of failing the job. Event time is pickupTime; a
-- time that does not parse falls back to the epoch (a NULL rowtime would fail the job), and such
-- rows are routed to the dead-letter topic by 02-parse.sql, never into the join.

CREATE TEMPORARY TABLE ride_source (
  payload STRING,
  kafkaPartition INT METADATA FROM 'partition' VIRTUAL,
  kafkaOffset BIGINT METADATA FROM 'offset' VIRTUAL,
  pickupTimeText AS JSON_VALUE(payload, '$.pickupTime'),
  eventTime AS COALESCE(
    TRY_CAST(REGEXP_EXTRACT(JSON_VALUE(payload, '$.pickupTime'), '^(\d{4}-\d{2}-\d{2})T\d', 1) || ' ' ||
             REGEXP_EXTRACT(JSON_VALUE(payload, '$.pickupTime'), '^\d{4}-\d{2}-\d{2}T(\d{2}:\d{2}:\d{2}(\.\d{1,3})?)(Z|[+]00:?00)$', 1)
             AS TIMESTAMP(3)),
    TIMESTAMP '1970-01-01 00:00:00'),
  procTime AS PROCTIME(),
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
-- so only the last line of a message is the record.
CREATE TEMPORARY TABLE fare_source (
  payload STRING,
  kafkaPartition INT METADATA FROM 'partition' VIRTUAL,
  kafkaOffset BIGINT METADATA FROM 'offset' VIRTUAL,
  line AS TRIM(TRAILING CHR(13) FROM REGEXP_EXTRACT(payload, '([^\n]*)\n?$', 1)),
  eventTime AS COALESCE(
    TRY_CAST(REGEXP_EXTRACT(SPLIT_INDEX(TRIM(TRAILING CHR(13) FROM REGEXP_EXTRACT(payload, '([^\n]*)\n?$', 1)), ',', 3),
                            '^\s*(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\s*$', 1) AS TIMESTAMP(3)),
    TIMESTAMP '1970-01-01 00:00:00'),
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
