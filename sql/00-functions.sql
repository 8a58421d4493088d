-- tipstream's own functions (flink-udf/, built by `tipstream stack up` or `deploy`): each ride and
-- fare is parsed once, by a table function, and the sources read their event time without a
-- regex. SQL alone parsed a ride once per JSON_VALUE (about 15 times) and a fare once per
-- SPLIT_INDEX; the json and csv formats parse once but lose the raw payload the dead letters keep.
-- ADD JAR makes the SQL Gateway ship the jar with the job: the cluster needs nothing installed.

ADD JAR ${FUNCTIONS_JAR};

CREATE TEMPORARY FUNCTION RIDE_EVENT_TIME AS 'io.tipstream.flink.RideEventTime' LANGUAGE JAVA;
CREATE TEMPORARY FUNCTION FARE_EVENT_TIME AS 'io.tipstream.flink.FareEventTime' LANGUAGE JAVA;
CREATE TEMPORARY FUNCTION PARSE_RIDE AS 'io.tipstream.flink.ParseRide' LANGUAGE JAVA;
CREATE TEMPORARY FUNCTION PARSE_FARE AS 'io.tipstream.flink.ParseFare' LANGUAGE JAVA;
CREATE TEMPORARY FUNCTION WINDOW_CLOSED AS 'io.tipstream.flink.WindowClosed' LANGUAGE JAVA;
