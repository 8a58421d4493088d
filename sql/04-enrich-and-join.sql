-- Good rides meet their fares, then the trips get their neighborhoods from the udf-service.

-- A point outside the lon/lat range (the DEBS file has a pickup latitude of 404.978) is in no
-- neighborhood: it is looked up as (0, 0), which the udf-service answers with Unknown, instead of
-- being sent as a request the service must refuse.
CREATE TEMPORARY VIEW ride_to_enrich AS
SELECT
  kafkaPartition, kafkaOffset, lateOnArrival,
  medallion, hackLicense, vendorId, eventTime, tripDistanceInMiles,
  CASE WHEN pickupInRange THEN pickupLon ELSE '0' END AS pickupLonKey,
  CASE WHEN pickupInRange THEN pickupLat ELSE '0' END AS pickupLatKey,
  CASE WHEN dropoffInRange THEN dropoffLon ELSE '0' END AS dropoffLonKey,
  CASE WHEN dropoffInRange THEN dropoffLat ELSE '0' END AS dropoffLatKey
FROM (
  SELECT *,
    ABS(CAST(pickupLon AS DOUBLE)) <= 180 AND ABS(CAST(pickupLat AS DOUBLE)) <= 90 AS pickupInRange,
    ABS(CAST(dropoffLon AS DOUBLE)) <= 180 AND ABS(CAST(dropoffLat AS DOUBLE)) <= 90 AS dropoffInRange,
    -- Behind its own stream's watermark when read: its fare may already have left the join.
    COALESCE(eventTime <= CURRENT_WATERMARK(eventTime), FALSE) AS lateOnArrival
  FROM ride_parsed
  WHERE malformedReason IS NULL AND implausibleReason IS NULL
    -- Heartbeats (tipstream heartbeat, live mode) have moved the watermark: they are no trip.
    AND medallion <> 'tipstream-heartbeat'
);

CREATE TEMPORARY VIEW fare_to_join AS
SELECT
  kafkaPartition, kafkaOffset, eventTime,
  medallion, hackLicense, vendorId, fareAmount, tipAmount,
  COALESCE(eventTime <= CURRENT_WATERMARK(eventTime), FALSE) AS lateOnArrival
FROM fare_parsed
WHERE malformedReason IS NULL AND implausibleReason IS NULL AND medallion <> 'tipstream-heartbeat';

-- Rides meet their fares first: an interval join on the trip key and an equal pickup time, so
-- watermarks clean the join state. Both inputs come straight from Kafka, so neither lags the
-- other; enriching rides before the join let the fares run ahead while rides waited on lookups,
-- and rides arriving behind the fares' watermark found their fares already cleaned up.
-- A full outer join: a ride or fare that meets no partner comes out alone, with the other side
-- NULL, and goes to the dead-letter topic instead of vanishing. Its reason is 'late for join' when
-- it was already behind its own stream's watermark when read; otherwise 'no fare (ride) met in
-- the join': its partner never came, or came after the join's watermark had passed it (seen when
-- one stream went idle longer than the idle timeout while the other went on).
-- The join carries no payload: its state holds each record until the watermark passes it, and
-- with the raw payloads that state was 2.5 times larger and the job about 1.1x slower
-- (bench:pipeline, 4M trips). A dead letter from here (unjoined, or late for its window) points
-- at its record by stream, sourcePartition and sourceOffset instead, with a NULL payload: the
-- record itself stays in its topic for the topic's retention (README, The Flink job).
CREATE TEMPORARY VIEW join_output AS
SELECT
  r.kafkaPartition AS ridePartition, r.kafkaOffset AS rideOffset,
  r.lateOnArrival AS rideLate,
  f.kafkaPartition AS farePartition, f.kafkaOffset AS fareOffset,
  f.lateOnArrival AS fareLate,
  r.medallion, r.hackLicense, r.vendorId,
  r.eventTime AS pickupTime,
  r.tripDistanceInMiles, r.pickupLonKey, r.pickupLatKey, r.dropoffLonKey, r.dropoffLatKey,
  f.medallion AS fareMedallion, f.fareAmount, f.tipAmount
FROM ride_to_enrich AS r
FULL JOIN fare_to_join AS f
  ON r.medallion = f.medallion AND r.hackLicense = f.hackLicense AND r.vendorId = f.vendorId
 AND r.eventTime = f.eventTime;

-- The trips out of the join. The window aggregate drops a trip whose window has already fired
-- (its last millisecond at or behind the watermark): such trips are marked here, on the watermark
-- the window will have, and go to the dead-letter topic instead of into the lookup and the window.
-- The lookup is asynchronous but ordered, so it moves no trip behind a watermark.
CREATE TEMPORARY VIEW joined_trips AS
SELECT *,
  WINDOW_CLOSED(pickupTime, CURRENT_WATERMARK(pickupTime), ${WINDOW_SIZE}) AS lateForWindow
FROM join_output
WHERE medallion IS NOT NULL AND fareMedallion IS NOT NULL;

-- Then each trip in time gets its pickup and drop-off neighborhoods in one lookup call.
CREATE TEMPORARY VIEW trips AS
SELECT
  t.pickupTime,
  COALESCE(n.pickupNeighborhood, 'Unknown') AS pickupNeighborhood,
  COALESCE(n.dropoffNeighborhood, 'Unknown') AS dropoffNeighborhood,
  t.tripDistanceInMiles, t.fareAmount, t.tipAmount
FROM (SELECT *, PROCTIME() AS procTime FROM joined_trips WHERE NOT lateForWindow) AS t
LEFT JOIN neighborhoods FOR SYSTEM_TIME AS OF t.procTime AS n
  ON n.pickupLon = t.pickupLonKey AND n.pickupLat = t.pickupLatKey
 AND n.dropoffLon = t.dropoffLonKey AND n.dropoffLat = t.dropoffLatKey;
