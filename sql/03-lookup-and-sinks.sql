-- The neighborhood lookup (the udf-service, through the HTTP lookup connector) and the two sinks.

CREATE TEMPORARY TABLE neighborhoods (
  pickupLon STRING,
  pickupLat STRING,
  dropoffLon STRING,
  dropoffLat STRING,
  pickupNeighborhood STRING,
  dropoffNeighborhood STRING
) WITH (
  'connector' = 'rest-lookup',
  'format' = 'json',
  'url' = ${UDF_LOOKUP_URL},
  'asyncPolling' = 'true',
  'lookup.cache' = 'PARTIAL',
  'lookup.partial-cache.max-rows' = '100000',
  'lookup.partial-cache.expire-after-write' = '1 h',
  'lookup.max-retries' = '3',
  'gid.connector.http.source.lookup.request.timeout' = ${UDF_REQUEST_TIMEOUT}
);

-- Seven sink tables on the one dead-letter topic: each is its own operator in Flink, so its record
-- count is exactly one of the counts `tipstream metrics` reports (orchestrator/job-metrics.ts finds
-- them by these names): malformed rides and fares, rides and fares with an implausible time, rides
-- and fares the join could not pair, and
-- joined trips that arrived behind the window's watermark. Together with the windows they account
-- for every record the job reads.
CREATE TEMPORARY TABLE dead_letter_rides (
  payload STRING,
  `stream` STRING,
  reason STRING,
  sourcePartition INT,
  sourceOffset BIGINT,
  seenAt STRING
) WITH (
  'connector' = 'kafka',
  'topic' = ${DEAD_LETTER_TOPIC},
  'properties.bootstrap.servers' = ${BOOTSTRAP_SERVERS},
  ${KAFKA_SECURITY}
  ${DEAD_LETTER_SINK}
  'format' = 'json'
);

CREATE TEMPORARY TABLE dead_letter_fares LIKE dead_letter_rides;
CREATE TEMPORARY TABLE implausible_rides LIKE dead_letter_rides;
CREATE TEMPORARY TABLE implausible_fares LIKE dead_letter_rides;
CREATE TEMPORARY TABLE unjoined_rides LIKE dead_letter_rides;
CREATE TEMPORARY TABLE unjoined_fares LIKE dead_letter_rides;
CREATE TEMPORARY TABLE late_trips LIKE dead_letter_rides;

CREATE TEMPORARY TABLE neighborhood_stats (
  windowStart STRING,
  windowEnd STRING,
  neighborhood STRING,
  rideCount BIGINT,
  totalFareAmount DOUBLE,
  totalTipAmount DOUBLE,
  averageFareAmount DOUBLE,
  averageTipAmount DOUBLE,
  totalDistanceMiles DOUBLE,
  averageTipPerMile DOUBLE
) WITH (
  'connector' = 'kafka',
  'topic' = ${STATS_TOPIC},
  'properties.bootstrap.servers' = ${BOOTSTRAP_SERVERS},
  ${KAFKA_SECURITY}
  ${STATS_DELIVERY}
  'format' = 'json'
);
