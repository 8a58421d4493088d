package io.tipstream.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.LocalDateTime;
import org.apache.flink.table.data.TimestampData;
import org.junit.jupiter.api.Test;

class WindowClosedTest {
  private static final Duration MINUTE = Duration.ofMinutes(1);
  private final WindowClosed closed = new WindowClosed();

  private static TimestampData at(String time) {
    return TimestampData.fromLocalDateTime(LocalDateTime.parse(time));
  }

  @Test
  void aWindowClosesWhenTheWatermarkReachesItsLastMillisecond() {
    TimestampData pickup = at("2013-01-01T00:04:27");
    assertFalse(closed.eval(pickup, at("2013-01-01T00:04:59.998"), MINUTE));
    assertTrue(closed.eval(pickup, at("2013-01-01T00:04:59.999"), MINUTE));
    assertTrue(closed.eval(pickup, at("2013-01-01T00:06:00"), MINUTE));
  }

  @Test
  void theWatermarkBehindTheRowStillLeavesItsWindowOpen() {
    assertFalse(closed.eval(at("2013-01-01T00:30:00"), at("2013-01-01T00:10:00"), Duration.ofHours(1)));
  }

  @Test
  void windowsAreAlignedToTheEpochAsFlinkTumbleIs() {
    assertEquals(300_000 - 1, WindowClosed.lastMillisOfWindow(240_000 + 27_000, 300_000));
    assertEquals(-1, WindowClosed.lastMillisOfWindow(-1, 60_000));
  }

  @Test
  void noWatermarkYetMeansNotClosed() {
    assertFalse(closed.eval(at("2013-01-01T00:04:27"), null, MINUTE));
    assertFalse(closed.eval(null, at("2013-01-01T00:04:27"), MINUTE));
  }
}
