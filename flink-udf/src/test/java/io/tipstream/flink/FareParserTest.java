package io.tipstream.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class FareParserTest {
  private static final String GOOD = "M1,H1,VTS,2013-01-01 00:10:00,CRD,10,0.5,0.5,2,0,13";

  /** What the job would see: the source's event time for the message, then the parse. */
  private static FareParser.Fare parse(String line) {
    long millis = line == null ? PickupTimes.INVALID : FareParser.pickupMillis(line);
    return FareParser.parse(line, millis == PickupTimes.INVALID ? 0 : millis);
  }

  private static String reason(String line) {
    return parse(line).malformedReason();
  }

  private static String column(int index, String value) {
    String[] columns = GOOD.split(",", -1);
    columns[index] = value;
    return String.join(",", columns);
  }

  @Test
  void readsAGoodFare() {
    FareParser.Fare fare = parse(GOOD);
    assertNull(fare.malformedReason());
    assertEquals("M1", fare.medallion());
    assertEquals("H1", fare.hackLicense());
    assertEquals("VTS", fare.vendorId());
    assertEquals(10.0, fare.fareAmount());
    assertEquals(2.0, fare.tipAmount());
    assertEquals(1_356_999_000_000L, FareParser.pickupMillis(GOOD));
  }

  @Test
  void readsTheLastLineOfTheReferenceGeneratorsMessages() {
    String header = "medallion, hack_license, vendor_id, pickup_datetime, payment_type, fare_amount, surcharge, mta_tax, tip_amount, tolls_amount, total_amount";
    FareParser.Fare fare = parse(header + "\r\n" + GOOD);
    assertNull(fare.malformedReason());
    assertEquals("M1", fare.medallion());
    assertNull(reason(GOOD + "\r\n"));
    assertNull(reason(GOOD + "\n"));
  }

  @Test
  void trimsBlanksAroundColumnsAsSqlTrimDid() {
    FareParser.Fare fare = parse(" M1 , H1,VTS , 2013-01-01 00:10:00\t, CRD, 10 ,0.5,0.5, 2,0,13");
    assertNull(fare.malformedReason());
    assertEquals("M1", fare.medallion());
    assertEquals("VTS", fare.vendorId());
    assertEquals(10.0, fare.fareAmount());
  }

  @Test
  void namesEveryMalformedFareAsTheSqlDid() {
    assertEquals("fare does not have 11 comma-separated columns", reason(null));
    assertEquals("fare does not have 11 comma-separated columns", reason(""));
    assertEquals("fare does not have 11 comma-separated columns", reason("M7,H1,VTS"));
    assertEquals("fare does not have 11 comma-separated columns", reason(GOOD + ",extra"));
    assertEquals("fare does not have 11 comma-separated columns", reason(GOOD + "\r\nM7,H1,VTS"));
    assertEquals("fare has no medallion", reason(column(0, "  ")));
    assertEquals("fare has no hackLicense", reason(column(1, "")));
    assertEquals("fare has no vendorId", reason(column(2, "")));
    assertEquals("fare pickupTime is not yyyy-MM-dd HH:mm:ss", reason(column(3, "2013-13-45 99:99:99")));
    assertEquals("fare pickupTime is not yyyy-MM-dd HH:mm:ss", reason(column(3, "2013-01-01T00:10:00Z")));
    assertEquals("fare pickupTime is not yyyy-MM-dd HH:mm:ss", reason(column(3, "1970-01-01 00:00:00")));
    assertEquals("fare fareAmount is not a number", reason(column(5, "ten dollars")));
    assertEquals("fare surcharge is not a number", reason(column(6, "")));
    assertEquals("fare mtaTax is not a number", reason(column(7, "x")));
    assertEquals("fare tipAmount is not a number", reason(column(8, "1,5".replace(",", ";"))));
    assertEquals("fare tollsAmount is not a number", reason(column(9, "none")));
    assertEquals("fare totalAmount is not a number", reason(column(10, "$13")));
  }
}
