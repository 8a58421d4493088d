-- Good rides get their pickup and drop-off neighborhoods in one lookup call, then meet their fare:
-- an interval join on the trip key and an equal pickup time, so watermarks clean the join state.
-- The lookup comes first because a lookup join keeps the rides' time attributes.

-- A point outside the lon/lat range (the DEBS file has a pickup latitude of 404.978) is in no
-- neighborhood: it is looked up as (0, 0), which the udf-service answers with Unknown, instead of
-- being sent as a request the service must refuse.
CREATE TEMPORARY VIEW ride_to_enrich AS
SELECT
  medallion, hackLicense, vendorId, eventTime, procTime, tripDistanceInMiles,
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
);

CREATE TEMPORARY VIEW ride_enriched AS
SELECT
  r.medallion, r.hackLicense, r.vendorId, r.eventTime, r.tripDistanceInMiles,
  COALESCE(n.pickupNeighborhood, 'Unknown') AS pickupNeighborhood,
  COALESCE(n.dropoffNeighborhood, 'Unknown') AS dropoffNeighborhood
FROM ride_to_enrich AS r
LEFT JOIN neighborhoods FOR SYSTEM_TIME AS OF r.procTime AS n
  ON n.pickupLon = r.pickupLonKey AND n.pickupLat = r.pickupLatKey
 AND n.dropoffLon = r.dropoffLonKey AND n.dropoffLat = r.dropoffLatKey;

CREATE TEMPORARY VIEW trips AS
SELECT
  r.medallion, r.hackLicense, r.vendorId,
  r.eventTime AS pickupTime,
  r.pickupNeighborhood, r.dropoffNeighborhood, r.tripDistanceInMiles,
  f.fareAmount, f.tipAmount
FROM ride_enriched AS r
JOIN fare_parsed AS f
  ON r.medallion = f.medallion AND r.hackLicense = f.hackLicense AND r.vendorId = f.vendorId
 AND r.eventTime = f.eventTime
WHERE f.malformedReason IS NULL;
