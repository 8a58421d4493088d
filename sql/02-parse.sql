-- Parse and validate, once per record (flink-udf/: the reasons, their order and the accepted forms
-- are the ones this file had in SQL, and its unit tests name every reason). Every row gets a
-- malformedReason: NULL for a good row, otherwise the first problem found. Good rows go on to the
-- join; the others go to the dead-letter topic. A table function, not a scalar one returning a
-- ROW: the planner evaluates it once per row, where a scalar call can be copied into each
-- expression that reads one of its fields.

CREATE TEMPORARY VIEW ride_parsed AS
SELECT
  s.payload, s.kafkaPartition, s.kafkaOffset, s.eventTime,
  r.medallion, r.hackLicense, r.vendorId, r.tripDistanceInMiles,
  r.pickupLon, r.pickupLat, r.dropoffLon, r.dropoffLat,
  r.malformedReason
FROM ride_source AS s,
  LATERAL TABLE(PARSE_RIDE(s.payload, s.eventTime)) AS r;

CREATE TEMPORARY VIEW fare_parsed AS
SELECT
  s.payload, s.kafkaPartition, s.kafkaOffset, s.eventTime,
  f.medallion, f.hackLicense, f.vendorId, f.fareAmount, f.tipAmount,
  f.malformedReason
FROM fare_source AS s,
  LATERAL TABLE(PARSE_FARE(s.payload, s.eventTime)) AS f;
