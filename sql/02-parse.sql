-- Parse and validate, once per record (flink-udf/: the reasons, their order and the accepted forms
-- are the ones this file had in SQL, and its unit tests name every reason). Every row gets a
-- malformedReason: NULL for a good row, otherwise the first problem found; and a well-formed row
-- whose time is implausible (01-sources.sql) an implausibleReason. Good rows go on to the join; the
-- others go to the dead-letter topic. PARSE_RIDE and PARSE_FARE return a ROW and are
-- declared non-deterministic, so the planner keeps one call per record instead of copying it into
-- each expression that reads a field (flink-udf/, ParseFunction.java).

CREATE TEMPORARY VIEW ride_parsed AS
SELECT
  s.payload, s.kafkaPartition, s.kafkaOffset, s.eventTime,
  s.r.medallion, s.r.hackLicense, s.r.vendorId, s.r.tripDistanceInMiles,
  s.r.pickupLon, s.r.pickupLat, s.r.dropoffLon, s.r.dropoffLat,
  s.r.malformedReason, s.r.implausibleReason
FROM (SELECT *, PARSE_RIDE(payload, eventTime, kafkaPartition, kafkaOffset, ${EVENT_TIME_POLICY}) AS r FROM ride_source) AS s;

CREATE TEMPORARY VIEW fare_parsed AS
SELECT
  s.payload, s.kafkaPartition, s.kafkaOffset, s.eventTime,
  s.f.medallion, s.f.hackLicense, s.f.vendorId, s.f.fareAmount, s.f.tipAmount,
  s.f.malformedReason, s.f.implausibleReason
FROM (SELECT *, PARSE_FARE(payload, eventTime, kafkaPartition, kafkaOffset, ${EVENT_TIME_POLICY}) AS f FROM fare_source) AS s;
