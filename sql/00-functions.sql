-- The job, in the order the orchestrator submits it: 00 to 05, one session, the statement set
-- last. Its contract with the host code (orchestrator/, cli/, udf-service/):
-- * Placeholders. A dollar sign with a NAME in braces is filled by orchestrator/job-values.ts and escaped by
--   orchestrator/sql-template.ts for its kind: a quoted string, an INTERVAL, or `options`, which
--   render as zero or more `'key' = 'value',` lines, each with its trailing comma: so an options
--   placeholder always stands before a literal option (`'format' = ...`), never last in a WITH.
-- * Repeat blocks. Between `-- @repeat ...` and `-- @end repeat` stands a statement written once for
--   several tables (01-sources.sql: one per stream); the comment table after `@repeat` names its
--   columns, then gives one row per copy, and each column's placeholder takes that row's cell.
-- * Names the host reads. orchestrator/job-metrics.ts finds its counts by operator names that come
--   from here: the sources ride_source and fare_source, the sinks dead_letter_rides,
--   dead_letter_fares, implausible_rides, implausible_fares, unjoined_rides, unjoined_fares and
--   late_trips (each its own operator, its
--   record count the metric of that name), the IntervalJoin and the window aggregate.
-- * 'Unknown' (04-enrich-and-join.sql) is the udf-service's UNKNOWN (udf-service/neighborhood-index.ts).
-- * The results (neighborhood_stats) are the window result of clients/window-result.ts, field by
--   field; the dead letters carry payload, stream, reason, sourcePartition, sourceOffset, seenAt,
--   the payload NULL for those the join and the window send (04-enrich-and-join.sql).
-- * Heartbeats (medallion 'tipstream-heartbeat', generator/heartbeat.ts) move watermarks and are
--   dropped before the join.
-- test/unit/orchestrator/sql-template.test.ts checks the placeholders, names and constants.

-- tipstream's own functions (flink-udf/, built by `tipstream stack up` or `deploy`): each ride and
-- fare is parsed once, by a function returning a ROW, and the sources read their event time
-- without a regex. SQL alone parsed a ride once per JSON_VALUE (about 15 times) and a fare once per
-- SPLIT_INDEX; the json and csv formats parse once but lose the raw payload the dead letters keep.
-- ADD JAR makes the SQL Gateway ship the jar with the job: the cluster needs nothing installed.

ADD JAR ${FUNCTIONS_JAR};

CREATE TEMPORARY FUNCTION RIDE_EVENT_TIME AS 'io.tipstream.flink.RideEventTime' LANGUAGE JAVA;
CREATE TEMPORARY FUNCTION FARE_EVENT_TIME AS 'io.tipstream.flink.FareEventTime' LANGUAGE JAVA;
CREATE TEMPORARY FUNCTION RIDE_FRONTIER AS 'io.tipstream.flink.EventFrontier$Ride' LANGUAGE JAVA;
CREATE TEMPORARY FUNCTION FARE_FRONTIER AS 'io.tipstream.flink.EventFrontier$Fare' LANGUAGE JAVA;
CREATE TEMPORARY FUNCTION PARSE_RIDE AS 'io.tipstream.flink.ParseRide' LANGUAGE JAVA;
CREATE TEMPORARY FUNCTION PARSE_FARE AS 'io.tipstream.flink.ParseFare' LANGUAGE JAVA;
CREATE TEMPORARY FUNCTION WINDOW_CLOSED AS 'io.tipstream.flink.WindowClosed' LANGUAGE JAVA;
