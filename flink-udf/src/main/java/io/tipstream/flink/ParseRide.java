package io.tipstream.flink;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;

/**
 * {@code PARSE_RIDE(payload, eventTime)}: a ROW of the ride's fields and {@code malformedReason}
 * (NULL for a good ride), computed once per record (see {@link ParseFunction}). Internal data
 * structures in and out, so Flink converts nothing.
 */
@FunctionHint(
    output = @DataTypeHint(
        value = "ROW<medallion STRING, hackLicense STRING, vendorId STRING, tripDistanceInMiles DOUBLE, "
            + "pickupLon STRING, pickupLat STRING, dropoffLon STRING, dropoffLat STRING, malformedReason STRING>",
        bridgedTo = RowData.class))
public final class ParseRide extends ParseFunction {
  public RowData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload,
      @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class) TimestampData eventTime) {
    RideParser.Ride ride = RideParser.parse(payload == null ? null : payload.toString(), eventTime == null ? 0 : eventTime.getMillisecond());
    return GenericRowData.of(
        text(ride.medallion()), text(ride.hackLicense()), text(ride.vendorId()),
        ride.malformedReason() == null ? ride.tripDistanceInMiles() : null,
        text(ride.pickupLon()), text(ride.pickupLat()), text(ride.dropoffLon()), text(ride.dropoffLat()),
        text(ride.malformedReason()));
  }
}
