-- Parse and validate. Every row gets a malformedReason: NULL for a good row, otherwise the first
-- problem found. Good rows go on to the join; the others go to the dead-letter topic.

CREATE TEMPORARY VIEW ride_parsed AS
SELECT
  payload, kafkaPartition, kafkaOffset, eventTime, procTime,
  JSON_VALUE(payload, '$.medallion') AS medallion,
  JSON_VALUE(payload, '$.hackLicense') AS hackLicense,
  JSON_VALUE(payload, '$.vendorId') AS vendorId,
  TRY_CAST(JSON_VALUE(payload, '$.tripDistanceInMiles') AS DOUBLE) AS tripDistanceInMiles,
  JSON_VALUE(payload, '$.pickupLon') AS pickupLon,
  JSON_VALUE(payload, '$.pickupLat') AS pickupLat,
  JSON_VALUE(payload, '$.dropoffLon') AS dropoffLon,
  JSON_VALUE(payload, '$.dropoffLat') AS dropoffLat,
  CASE
    WHEN payload IS NULL OR NOT (payload IS JSON OBJECT) THEN 'ride is not a JSON object'
    WHEN COALESCE(JSON_VALUE(payload, '$.medallion'), '') = '' THEN 'ride has no medallion'
    WHEN COALESCE(JSON_VALUE(payload, '$.hackLicense'), '') = '' THEN 'ride has no hackLicense'
    WHEN COALESCE(JSON_VALUE(payload, '$.vendorId'), '') = '' THEN 'ride has no vendorId'
    WHEN JSON_VALUE(payload, '$.pickupTime') IS NULL THEN 'ride has no pickupTime'
    WHEN eventTime = TIMESTAMP '1970-01-01 00:00:00' THEN 'ride pickupTime is not an ISO-8601 UTC time'
    WHEN TRY_CAST(JSON_VALUE(payload, '$.tripDistanceInMiles') AS DOUBLE) IS NULL THEN 'ride tripDistanceInMiles is not a number'
    WHEN TRY_CAST(JSON_VALUE(payload, '$.pickupLon') AS DOUBLE) IS NULL THEN 'ride pickupLon is not a number'
    WHEN TRY_CAST(JSON_VALUE(payload, '$.pickupLat') AS DOUBLE) IS NULL THEN 'ride pickupLat is not a number'
    WHEN TRY_CAST(JSON_VALUE(payload, '$.dropoffLon') AS DOUBLE) IS NULL THEN 'ride dropoffLon is not a number'
    WHEN TRY_CAST(JSON_VALUE(payload, '$.dropoffLat') AS DOUBLE) IS NULL THEN 'ride dropoffLat is not a number'
    ELSE CAST(NULL AS STRING)
  END AS malformedReason
FROM ride_source;

CREATE TEMPORARY VIEW fare_parsed AS
SELECT
  payload, kafkaPartition, kafkaOffset, eventTime,
  TRIM(SPLIT_INDEX(line, ',', 0)) AS medallion,
  TRIM(SPLIT_INDEX(line, ',', 1)) AS hackLicense,
  TRIM(SPLIT_INDEX(line, ',', 2)) AS vendorId,
  TRY_CAST(TRIM(SPLIT_INDEX(line, ',', 5)) AS DOUBLE) AS fareAmount,
  TRY_CAST(TRIM(SPLIT_INDEX(line, ',', 8)) AS DOUBLE) AS tipAmount,
  CASE
    WHEN line IS NULL OR SPLIT_INDEX(line, ',', 10) IS NULL OR SPLIT_INDEX(line, ',', 11) IS NOT NULL
      THEN 'fare does not have 11 comma-separated columns'
    WHEN TRIM(SPLIT_INDEX(line, ',', 0)) = '' THEN 'fare has no medallion'
    WHEN TRIM(SPLIT_INDEX(line, ',', 1)) = '' THEN 'fare has no hackLicense'
    WHEN TRIM(SPLIT_INDEX(line, ',', 2)) = '' THEN 'fare has no vendorId'
    WHEN eventTime = TIMESTAMP '1970-01-01 00:00:00' THEN 'fare pickupTime is not yyyy-MM-dd HH:mm:ss'
    WHEN TRY_CAST(TRIM(SPLIT_INDEX(line, ',', 5)) AS DOUBLE) IS NULL THEN 'fare fareAmount is not a number'
    WHEN TRY_CAST(TRIM(SPLIT_INDEX(line, ',', 6)) AS DOUBLE) IS NULL THEN 'fare surcharge is not a number'
    WHEN TRY_CAST(TRIM(SPLIT_INDEX(line, ',', 7)) AS DOUBLE) IS NULL THEN 'fare mtaTax is not a number'
    WHEN TRY_CAST(TRIM(SPLIT_INDEX(line, ',', 8)) AS DOUBLE) IS NULL THEN 'fare tipAmount is not a number'
    WHEN TRY_CAST(TRIM(SPLIT_INDEX(line, ',', 9)) AS DOUBLE) IS NULL THEN 'fare tollsAmount is not a number'
    WHEN TRY_CAST(TRIM(SPLIT_INDEX(line, ',', 10)) AS DOUBLE) IS NULL THEN 'fare totalAmount is not a number'
    ELSE CAST(NULL AS STRING)
  END AS malformedReason
FROM fare_source;
