package io.tipstream.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.junit.jupiter.api.Test;

class ParseFunctionTest {
  private static final TimestampData PICKUP = TimestampData.fromLocalDateTime(LocalDateTime.parse("2013-01-01T00:00:00"));

  @Test
  void aWellFormedFareDatedFarAheadComesOutImplausibleWithTheBoundItBroke() {
    String fare = "M1,H1,CMT,2099-01-01 00:00:00,CSH,6.5,0.5,0.5,1.5,0,9";
    TimestampData at = TimestampData.fromLocalDateTime(LocalDateTime.parse("2099-01-01T00:00:00"));
    RowData row = new ParseFare().eval(StringData.fromString(fare), at, 7, 1L, StringData.fromString("maxAheadOfClock=3600000"));
    assertTrue(row.isNullAt(5));
    assertEquals("implausible event time: more than 1 h ahead of the clock", row.getString(6).toString());
    assertNull(new EventFrontier.Fare().eval(StringData.fromString(fare), at, 7, 1L, StringData.fromString("maxAheadOfClock=3600000")));
  }

  @Test
  void theFunctionsStillSerializeAfterUseAsFlinkShipsThem() throws Exception {
    ParseRide ride = new ParseRide();
    ride.eval(StringData.fromString("not json"), PICKUP, 0, 1L, StringData.fromString("maxJump=0"));
    EventFrontier.Fare frontier = new EventFrontier.Fare();
    frontier.eval(StringData.fromString("M1,H1,CMT,2013-01-01 00:00:00,CSH,6.5,0.5,0.5,1.5,0,9"), PICKUP, 0, 2L, StringData.fromString("maxJump=0"));
    for (Object function : new Object[] {ride, frontier}) {
      try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(new java.io.ByteArrayOutputStream())) {
        out.writeObject(function);
      }
    }
  }

  @Test
  void bothParsersAreNonDeterministicSoThePlannerKeepsOneCallPerRecord() {
    assertFalse(new ParseRide().isDeterministic());
    assertFalse(new ParseFare().isDeterministic());
    assertFalse(new EventFrontier.Ride().isDeterministic());
  }

  @Test
  void aGoodFareComesOutAsARowWithNoReason() {
    String fare = "M1,H1,CMT,2013-01-01 00:00:00,CSH,6.5,0.5,0.5,1.5,0,9";
    RowData row = new ParseFare().eval(StringData.fromString(fare), PICKUP, 0, 1L, null);
    assertEquals("M1", row.getString(0).toString());
    assertEquals(6.5, row.getDouble(3));
    assertEquals(1.5, row.getDouble(4));
    assertNull(row.getString(5));
    assertTrue(row.isNullAt(6));
  }

  @Test
  void aPayloadThatIsNoRideComesOutWithItsReasonAndNoDistance() {
    RowData row = new ParseRide().eval(StringData.fromString("not json"), PICKUP, 0, 1L, null);
    assertEquals(true, row.isNullAt(3));
    assertEquals(false, row.isNullAt(8));
  }
}
