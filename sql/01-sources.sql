-- The two hubs, read raw: one STRING column per message, so that a payload which does not parse
-- still reaches the dead-letter topic instead of failing the job. Event time is pickupTime; a
-- time that does not parse falls back to the epoch (a NULL rowtime would fail the job), and such
-- rows are routed to the dead-letter topic by 02-parse.sql, never into the join.
--
-- Event time and bad clocks. The watermark does not follow every record's time: one ride dated
-- 2099 would make every real trip after it late. It follows each partition's frontier
-- (RIDE_FRONTIER / FARE_FRONTIER, flink-udf/ PartitionClock.java): the latest time of the
-- well-formed records whose time is plausible, that is not before the earliest time, not more than
-- maxAheadOfClock past the clock (the wall, or live mode's faster one), and not more than maxJump
-- past the partition's frontier. A partition's first records set the frontier only once two of
-- them agree. NULL leaves the watermark where it is: Flink takes a WATERMARK expression's value
-- as it is, not a maximum over records. Records refused here go to the dead letters as
-- 'implausible event time: ...' (02-parse.sql and 05-statement-set.sql).

-- One source table per stream, the same but for its name, its functions, its topic and its
-- watermark delay; orchestrator/sql-template.ts writes the statement out once per row below. Fares
-- arrive as one CSV line; the reference's generator prepends the header line and a CRLF, so
-- FARE_EVENT_TIME reads the time from the last line of a message.
-- @repeat for each stream:
--   SOURCE_TABLE  EVENT_TIME       FRONTIER       TOPIC          WATERMARK_DELAY
--   ride_source   RIDE_EVENT_TIME  RIDE_FRONTIER  ${RIDE_TOPIC}  ${RIDE_WATERMARK_DELAY}
--   fare_source   FARE_EVENT_TIME  FARE_FRONTIER  ${FARE_TOPIC}  ${FARE_WATERMARK_DELAY}
CREATE TEMPORARY TABLE ${SOURCE_TABLE} (
  payload STRING,
  kafkaPartition INT METADATA FROM 'partition' VIRTUAL,
  kafkaOffset BIGINT METADATA FROM 'offset' VIRTUAL,
  eventTime AS ${EVENT_TIME}(payload),
  WATERMARK FOR eventTime AS ${FRONTIER}(payload, eventTime, kafkaPartition, kafkaOffset, ${EVENT_TIME_POLICY}) - ${WATERMARK_DELAY}
) WITH (
  'connector' = 'kafka',
  'topic' = ${TOPIC},
  'properties.bootstrap.servers' = ${BOOTSTRAP_SERVERS},
  'properties.group.id' = ${CONSUMER_GROUP},
  'scan.startup.mode' = ${STARTUP_MODE},
  ${IDLE_TIMEOUT}
  ${BOUNDED_MODE}
  ${KAFKA_SECURITY}
  'format' = 'raw'
);
-- @end repeat
