-- Parse and validate, once per record (flink-udf/: the reasons, their order and the accepted forms
-- are the ones this file had in SQL, and its unit tests name every reason). Every row gets a
-- malformedReason: NULL for a good row, otherwise the first problem found. Good rows go on to the
-- join; the others go to the dead-letter topic. A table function, not a scalar one returning a
-- ROW: the planner evaluates it once per row, where a scalar call can be copied into each
-- expression that reads one of its fields.

CREATE TEMPORARY VIEW ride_parsed AS
SELECT
  s.payload, s.kafkaPartition, s.kafkaOffset, s.eventTime,
  s.r.medallion, s.r.hackLicense, s.r.vendorId, s.r.tripDistanceInMiles,
  s.r.pickupLon, s.r.pickupLat, s.r.dropoffLon, s.r.dropoffLat,
  s.r.malformedReason
FROM (SELECT *, PARSE_RIDE(payload, eventTime) AS r FROM ride_source) AS s;

CREATE TEMPORARY VIEW fare_parsed AS
SELECT
  s.payload, s.kafkaPartition, s.kafkaOffset, s.eventTime,
  s.f.medallion, s.f.hackLicense, s.f.vendorId, s.f.fareAmount, s.f.tipAmount,
  s.f.malformedReason
FROM (SELECT *, PARSE_FARE(payload, eventTime) AS f FROM fare_source) AS s;
