package io.tipstream.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.LocalDateTime;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.junit.jupiter.api.Test;

class ParseFunctionTest {
  private static final TimestampData PICKUP = TimestampData.fromLocalDateTime(LocalDateTime.parse("2013-01-01T00:00:00"));

  @Test
  void bothParsersAreNonDeterministicSoThePlannerKeepsOneCallPerRecord() {
    assertFalse(new ParseRide().isDeterministic());
    assertFalse(new ParseFare().isDeterministic());
  }

  @Test
  void aGoodFareComesOutAsARowWithNoReason() {
    String fare = "M1,H1,CMT,2013-01-01 00:00:00,CSH,6.5,0.5,0.5,1.5,0,9";
    RowData row = new ParseFare().eval(StringData.fromString(fare), PICKUP);
    assertEquals("M1", row.getString(0).toString());
    assertEquals(6.5, row.getDouble(3));
    assertEquals(1.5, row.getDouble(4));
    assertNull(row.getString(5));
  }

  @Test
  void aPayloadThatIsNoRideComesOutWithItsReasonAndNoDistance() {
    RowData row = new ParseRide().eval(StringData.fromString("not json"), PICKUP);
    assertEquals(true, row.isNullAt(3));
    assertEquals(false, row.isNullAt(8));
  }
}
