package io.tipstream.flink;

import java.time.Duration;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code WINDOW_CLOSED(eventTime, watermark, size)}: whether the tumbling window of
 * {@code size} that holds {@code eventTime} has already fired at {@code watermark}, which is
 * the test by which Flink's window aggregate drops a row (the window's last millisecond at or
 * behind the watermark). Windows are aligned to the epoch, as Flink's TUMBLE without an offset.
 * FALSE while there is no watermark yet.
 */
public final class WindowClosed extends ScalarFunction {
  public Boolean eval(
      @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class) TimestampData eventTime,
      @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class) TimestampData watermark,
      @DataTypeHint("INTERVAL SECOND(3)") Duration size) {
    if (eventTime == null || watermark == null || size == null || size.toMillis() <= 0) return false;
    return lastMillisOfWindow(eventTime.getMillisecond(), size.toMillis()) <= watermark.getMillisecond();
  }

  static long lastMillisOfWindow(long eventMillis, long sizeMillis) {
    return eventMillis - Math.floorMod(eventMillis, sizeMillis) + sizeMillis - 1;
  }
}
