package io.tipstream.flink;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code FARE_EVENT_TIME(payload)}: the pickup time of a fare message (the fourth column of its
 * last line) for the source's WATERMARK, never NULL (a NULL rowtime fails the job): the epoch when
 * there is none, and {@link ParseFare} then routes the fare to the dead letters.
 */
public final class FareEventTime extends ScalarFunction {
  private static final TimestampData EPOCH = TimestampData.fromEpochMillis(0);

  public @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class) TimestampData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload) {
    if (payload == null) return EPOCH;
    long millis = FareParser.pickupMillis(payload.toString());
    return millis == PickupTimes.INVALID ? EPOCH : TimestampData.fromEpochMillis(millis);
  }
}
