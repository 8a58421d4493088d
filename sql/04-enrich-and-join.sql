-- Good rides get their pickup and drop-off neighborhoods in one lookup call, then meet their fare:
-- an interval join on the trip key and an equal pickup time, so watermarks clean the join state.
-- The lookup comes first because a lookup join keeps the rides' time attributes.

CREATE TEMPORARY VIEW ride_enriched AS
SELECT
  r.medallion, r.hackLicense, r.vendorId, r.eventTime, r.tripDistanceInMiles,
  COALESCE(n.pickupNeighborhood, 'Unknown') AS pickupNeighborhood,
  COALESCE(n.dropoffNeighborhood, 'Unknown') AS dropoffNeighborhood
FROM ride_parsed AS r
LEFT JOIN neighborhoods FOR SYSTEM_TIME AS OF r.procTime AS n
  ON n.pickupLon = r.pickupLon AND n.pickupLat = r.pickupLat
 AND n.dropoffLon = r.dropoffLon AND n.dropoffLat = r.dropoffLat
WHERE r.malformedReason IS NULL;

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
