package io.tipstream.flink;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;

/**
 * {@code PARSE_RIDE(payload, eventTime, kafkaPartition, kafkaOffset, policy)}: a ROW of the ride's
 * fields, {@code malformedReason} (NULL for a good ride) and {@code implausibleReason} (NULL unless
 * a well-formed ride's time is implausible, {@link PartitionClock}), computed once per record (see
 * {@link ParseFunction}). Internal data structures in and out, so Flink converts nothing.
 */
@FunctionHint(
    output = @DataTypeHint(
        value = "ROW<medallion STRING, hackLicense STRING, vendorId STRING, tripDistanceInMiles DOUBLE, "
            + "pickupLon STRING, pickupLat STRING, dropoffLon STRING, dropoffLat STRING, malformedReason STRING, implausibleReason STRING>",
        bridgedTo = RowData.class))
public final class ParseRide extends ParseFunction {
  public RowData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload,
      @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class) TimestampData eventTime,
      Integer kafkaPartition,
      Long kafkaOffset,
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData policy) {
    long millis = eventTime == null ? 0 : eventTime.getMillisecond();
    RideParser.Ride ride = RideParser.parse(payload == null ? null : payload.toString(), millis);
    boolean good = ride.malformedReason() == null;
    PartitionClock.Decision decision = clockOf(EventTimeGuard.Stream.RIDE, kafkaPartition)
        .decide(offset(kafkaOffset), millis, good, policy(policy), System.currentTimeMillis());
    return GenericRowData.of(
        text(ride.medallion()), text(ride.hackLicense()), text(ride.vendorId()),
        good ? ride.tripDistanceInMiles() : null,
        text(ride.pickupLon()), text(ride.pickupLat()), text(ride.dropoffLon()), text(ride.dropoffLat()),
        text(ride.malformedReason()), text(decision.implausibleReason()));
  }
}
