package io.tipstream.flink;

import java.nio.charset.StandardCharsets;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code RIDE_EVENT_TIME(payload)}: the pickup time of a ride message for the source's WATERMARK,
 * never NULL (a NULL rowtime fails the job): the epoch when there is none, and
 * {@link ParseRide} then routes the ride to the dead letters. It finds the first
 * {@code "pickupTime"} key in the UTF-8 bytes without parsing the JSON; {@link ParseRide} checks
 * the real parse gives the same instant, so a ride never joins on a time it does not hold.
 */
public final class RideEventTime extends ScalarFunction {
  private static final byte[] KEY = "\"pickupTime\"".getBytes(StandardCharsets.US_ASCII);
  private static final TimestampData EPOCH = TimestampData.fromEpochMillis(0);

  public @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class) TimestampData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload) {
    if (payload == null) return EPOCH;
    long millis = pickupMillis(payload.toBytes());
    return millis == PickupTimes.INVALID ? EPOCH : TimestampData.fromEpochMillis(millis);
  }

  static long pickupMillis(byte[] json) {
    int key = indexOf(json, KEY);
    if (key < 0) return PickupTimes.INVALID;
    int i = key + KEY.length;
    while (i < json.length && isBlank(json[i])) i++;
    if (i >= json.length || json[i] != ':') return PickupTimes.INVALID;
    i++;
    while (i < json.length && isBlank(json[i])) i++;
    if (i >= json.length || json[i] != '"') return PickupTimes.INVALID;
    int from = ++i;
    // The longest form, with milliseconds and "+00:00", is 29 characters.
    while (i < json.length && json[i] != '"' && i - from <= 29) i++;
    if (i >= json.length || json[i] != '"') return PickupTimes.INVALID;
    return PickupTimes.rideMillis(new String(json, from, i - from, StandardCharsets.ISO_8859_1), 0, i - from);
  }

  private static boolean isBlank(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }
}
