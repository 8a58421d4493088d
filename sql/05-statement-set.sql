-- One statement set, so the job reads each topic once: seven dead-letter branches (their sinks'
-- record counts are the metrics of the same names) and the window results.

EXECUTE STATEMENT SET
BEGIN

INSERT INTO dead_letter_rides
SELECT payload, 'ride', malformedReason, kafkaPartition, kafkaOffset, DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''')
FROM ride_parsed
WHERE malformedReason IS NOT NULL;

INSERT INTO dead_letter_fares
SELECT payload, 'fare', malformedReason, kafkaPartition, kafkaOffset, DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''')
FROM fare_parsed
WHERE malformedReason IS NOT NULL;

INSERT INTO implausible_rides
SELECT payload, 'ride', implausibleReason, kafkaPartition, kafkaOffset, DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''')
FROM ride_parsed
WHERE implausibleReason IS NOT NULL;

INSERT INTO implausible_fares
SELECT payload, 'fare', implausibleReason, kafkaPartition, kafkaOffset, DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''')
FROM fare_parsed
WHERE implausibleReason IS NOT NULL;

INSERT INTO unjoined_rides
SELECT CAST(NULL AS STRING), 'ride', CASE WHEN rideLate THEN 'late for join' ELSE 'no fare met in the join' END,
  ridePartition, rideOffset, DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''')
FROM join_output
WHERE fareMedallion IS NULL;

INSERT INTO unjoined_fares
SELECT CAST(NULL AS STRING), 'fare', CASE WHEN fareLate THEN 'late for join' ELSE 'no ride met in the join' END,
  farePartition, fareOffset, DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''')
FROM join_output
WHERE medallion IS NULL;

INSERT INTO late_trips
SELECT CAST(NULL AS STRING), 'ride', 'late for window', ridePartition, rideOffset, DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''')
FROM joined_trips
WHERE lateForWindow;

INSERT INTO neighborhood_stats
SELECT
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss''Z'''),
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss''Z'''),
  pickupNeighborhood,
  COUNT(*),
  SUM(fareAmount),
  SUM(tipAmount),
  AVG(fareAmount),
  AVG(tipAmount),
  SUM(tripDistanceInMiles),
  CASE WHEN SUM(tripDistanceInMiles) = 0 THEN CAST(NULL AS DOUBLE) ELSE SUM(tipAmount) / SUM(tripDistanceInMiles) END
FROM TABLE(TUMBLE(TABLE trips, DESCRIPTOR(pickupTime), ${WINDOW_SIZE}))
GROUP BY window_start, window_end, pickupNeighborhood;

END;
