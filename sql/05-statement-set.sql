-- One statement set, so the job reads each topic once: two dead-letter branches (their sinks'
-- record counts are the malformed_rides and malformed_fares metrics) and the window results.

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
