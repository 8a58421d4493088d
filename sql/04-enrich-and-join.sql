-- Good rides meet their fares, then the trips get their neighborhoods from the udf-service.

-- A point outside the lon/lat range (the DEBS file has a pickup latitude of 404.978) is in no
-- neighborhood: it is looked up as (0, 0), which the udf-service answers with Unknown, instead of
-- being sent as a request the service must refuse.
CREATE TEMPORARY VIEW ride_to_enrich AS
SELECT
  medallion, hackLicense, vendorId, eventTime, tripDistanceInMiles,
  CASE WHEN pickupInRange THEN pickupLon ELSE '0' END AS pickupLonKey,
  CASE WHEN pickupInRange THEN pickupLat ELSE '0' END AS pickupLatKey,
  CASE WHEN dropoffInRange THEN dropoffLon ELSE '0' END AS dropoffLonKey,
  CASE WHEN dropoffInRange THEN dropoffLat ELSE '0' END AS dropoffLatKey
FROM (
  SELECT *,
    ABS(CAST(pickupLon AS DOUBLE)) <= 180 AND ABS(CAST(pickupLat AS DOUBLE)) <= 90 AS pickupInRange,
    ABS(CAST(dropoffLon AS DOUBLE)) <= 180 AND ABS(CAST(dropoffLat AS DOUBLE)) <= 90 AS dropoffInRange
  FROM ride_parsed
  WHERE malformedReason IS NULL
    -- Heartbeats (tipstream heartbeat, live mode) have moved the watermark: they are no trip.
    AND medallion <> 'tipstream-heartbeat'
);

-- Rides meet their fares first: an interval join on the trip key and an equal pickup time, so
-- watermarks clean the join state. Both inputs come straight from Kafka, so neither lags the
-- other; enriching rides before the join let the fares run ahead while rides waited on lookups,
-- and rides arriving behind the fares' watermark found their fares already cleaned up.
CREATE TEMPORARY VIEW trips_unenriched AS
SELECT
  r.medallion, r.hackLicense, r.vendorId,
  r.eventTime AS pickupTime,
  r.tripDistanceInMiles, r.pickupLonKey, r.pickupLatKey, r.dropoffLonKey, r.dropoffLatKey,
  f.fareAmount, f.tipAmount
FROM ride_to_enrich AS r
JOIN fare_parsed AS f
  ON r.medallion = f.medallion AND r.hackLicense = f.hackLicense AND r.vendorId = f.vendorId
 AND r.eventTime = f.eventTime
WHERE f.malformedReason IS NULL AND f.medallion <> 'tipstream-heartbeat';

-- Then each trip gets its pickup and drop-off neighborhoods in one lookup call (asynchronous,
-- ordered, so the window downstream sees no record behind its watermark).
CREATE TEMPORARY VIEW trips AS
SELECT
  t.medallion, t.hackLicense, t.vendorId, t.pickupTime,
  COALESCE(n.pickupNeighborhood, 'Unknown') AS pickupNeighborhood,
  COALESCE(n.dropoffNeighborhood, 'Unknown') AS dropoffNeighborhood,
  t.tripDistanceInMiles, t.fareAmount, t.tipAmount
FROM (SELECT *, PROCTIME() AS procTime FROM trips_unenriched) AS t
LEFT JOIN neighborhoods FOR SYSTEM_TIME AS OF t.procTime AS n
  ON n.pickupLon = t.pickupLonKey AND n.pickupLat = t.pickupLatKey
 AND n.dropoffLon = t.dropoffLonKey AND n.dropoffLat = t.dropoffLatKey;
