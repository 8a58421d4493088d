package io.tipstream.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RideParserTest {
  private static final String GOOD = "{\"medallion\":\"M1\",\"hackLicense\":\"H1\",\"vendorId\":\"VTS\",\"pickupTime\":\"2013-01-01T00:10:00Z\","
      + "\"dropoffTime\":\"2013-01-01T00:15:00Z\",\"rateCode\":1,\"storeAndForwardFlag\":\"N\",\"passengerCount\":1,\"tripTimeInSeconds\":300,"
      + "\"tripDistanceInMiles\":2.5,\"pickupLon\":-73.98,\"pickupLat\":40.76,\"dropoffLon\":-73.99,\"dropoffLat\":40.7}";
  private static final long TEN_PAST = 1_356_999_000_000L;

  /** What the job would see: the source's event time for the message, then the parse. */
  private static RideParser.Ride parse(String json) {
    long millis = json == null ? PickupTimes.INVALID : RideEventTime.pickupMillis(json.getBytes(StandardCharsets.UTF_8));
    return RideParser.parse(json, millis == PickupTimes.INVALID ? 0 : millis);
  }

  private static String reason(String json) {
    return parse(json).malformedReason();
  }

  private static String with(String member, String value) {
    return GOOD.replaceFirst("\"" + member + "\":(\"[^\"]*\"|[^,}]*)", java.util.regex.Matcher.quoteReplacement("\"" + member + "\":" + value));
  }

  private static String without(String member) {
    return GOOD.replaceFirst("\"" + member + "\":(\"[^\"]*\"|[^,}]*),?", "");
  }

  @Test
  void readsAGoodRideAsJsonValueWould() {
    RideParser.Ride ride = parse(GOOD);
    assertNull(ride.malformedReason());
    assertEquals("M1", ride.medallion());
    assertEquals("H1", ride.hackLicense());
    assertEquals("VTS", ride.vendorId());
    assertEquals(2.5, ride.tripDistanceInMiles());
    assertEquals("-73.98", ride.pickupLon());
    assertEquals("40.76", ride.pickupLat());
    assertEquals("-73.99", ride.dropoffLon());
    assertEquals("40.7", ride.dropoffLat());
  }

  @Test
  void acceptsTheReferenceGeneratorsForms() {
    RideParser.Ride ride = parse(with("medallion", "2013000001").replace("\"hackLicense\":\"H1\"", "\"hackLicense\":2013000002")
        .replace("2013-01-01T00:10:00Z", "2013-01-01T00:10:00+00:00"));
    assertNull(ride.malformedReason());
    assertEquals("2013000001", ride.medallion());
    assertEquals("2013000002", ride.hackLicense());
    assertNull(reason(GOOD.replace("2013-01-01T00:10:00Z", "2013-01-01T00:10:00.000Z")));
    assertNull(reason(GOOD.replace("2013-01-01T00:10:00Z", "2013-01-01T00:10:00.5+0000")));
  }

  @Test
  void writesNumbersBackAsJacksonDoes() {
    assertEquals("1E+3", parse(with("pickupLon", "1e3")).pickupLon());
    assertEquals("0", parse(with("pickupLon", "-0")).pickupLon());
    assertEquals("40.7500", parse(with("pickupLat", "40.7500")).pickupLat());
    assertEquals("1E-7", parse(with("pickupLat", "0.0000001")).pickupLat());
    assertEquals("0.0", parse(with("pickupLat", "-0.0")).pickupLat());
    assertEquals("-0.5", parse(with("pickupLat", "-0.5")).pickupLat());
    assertEquals("1.2E+3", parse(with("pickupLat", "12e2")).pickupLat());
    assertEquals("-73.98", parse(with("pickupLon", "\"-73.98\"")).pickupLon());
  }

  @Test
  void keepsTheLastOfARepeatedMemberAndSkipsNestedValues() {
    String json = GOOD.replace("\"rateCode\":1", "\"rateCode\":{\"a\":[1,2,{\"b\":null}],\"c\":\"\\\"}\"},\"vendorId\":\"CMT\"");
    assertEquals("CMT", parse(json).vendorId());
  }

  @Test
  void namesEveryMalformedRideAsTheSqlDid() {
    assertEquals("ride is not a JSON object", reason(null));
    assertEquals("ride is not a JSON object", reason(""));
    assertEquals("ride is not a JSON object", reason("{\"medallion\": \"M9\", broken"));
    assertEquals("ride is not a JSON object", reason("[1,2]"));
    assertEquals("ride is not a JSON object", reason("\"text\""));
    assertEquals("ride is not a JSON object", reason(GOOD.substring(0, GOOD.length() / 2)));
    assertEquals("ride is not a JSON object", reason(with("passengerCount", "01")));
    assertEquals("ride is not a JSON object", reason(with("passengerCount", "1.")));
    assertEquals("ride is not a JSON object", reason(with("storeAndForwardFlag", "'N'")));
    assertEquals("ride is not a JSON object", reason(GOOD.replace("}", ",}")));
    assertEquals("ride is not a JSON object", reason(with("storeAndForwardFlag", "\"a\\qb\"")));
    assertEquals("ride has no medallion", reason(without("medallion")));
    assertEquals("ride has no medallion", reason(with("medallion", "\"\"")));
    assertEquals("ride has no medallion", reason(with("medallion", "null")));
    assertEquals("ride has no medallion", reason(with("medallion", "{\"id\":1}")));
    assertEquals("ride has no hackLicense", reason(without("hackLicense")));
    assertEquals("ride has no vendorId", reason(with("vendorId", "[]")));
    assertEquals("ride has no pickupTime", reason(without("pickupTime")));
    assertEquals("ride has no pickupTime", reason(with("pickupTime", "null")));
    assertEquals("ride pickupTime is not an ISO-8601 UTC time", reason(with("pickupTime", "\"yesterday evening\"")));
    assertEquals("ride pickupTime is not an ISO-8601 UTC time", reason(with("pickupTime", "20130101")));
    assertEquals("ride pickupTime is not an ISO-8601 UTC time", reason(with("pickupTime", "\"2013-01-01 00:10:00\"")));
    assertEquals("ride pickupTime is not an ISO-8601 UTC time", reason(with("pickupTime", "\"2013-01-01T00:10:00+01:00\"")));
    assertEquals("ride pickupTime is not an ISO-8601 UTC time", reason(with("pickupTime", "\"2013-01-01T00:10:00.1234Z\"")));
    assertEquals("ride pickupTime is not an ISO-8601 UTC time", reason(with("pickupTime", "\"2013-02-29T00:10:00Z\"")));
    assertEquals("ride pickupTime is not an ISO-8601 UTC time", reason(with("pickupTime", "\"1970-01-01T00:00:00Z\"")));
    assertEquals("ride tripDistanceInMiles is not a number", reason(with("tripDistanceInMiles", "\"two point five\"")));
    assertEquals("ride tripDistanceInMiles is not a number", reason(without("tripDistanceInMiles")));
    assertEquals("ride pickupLon is not a number", reason(with("pickupLon", "true")));
    assertEquals("ride pickupLat is not a number", reason(with("pickupLat", "\"\"")));
    assertEquals("ride dropoffLon is not a number", reason(without("dropoffLon")));
    assertEquals("ride dropoffLat is not a number", reason(with("dropoffLat", "\"north\"")));
  }

  @Test
  void refusesATimeThatDiffersFromTheSourcesEventTime() {
    // A nested "pickupTime" comes first: the source's scan takes it, the parse takes the top-level one.
    String json = GOOD.replace("\"rateCode\":1", "\"rateCode\":{\"pickupTime\":\"2013-01-01T05:00:00Z\"}");
    json = "{\"extra\":{\"pickupTime\":\"2013-01-01T05:00:00Z\"}," + json.substring(1);
    assertEquals("ride pickupTime is not an ISO-8601 UTC time", reason(json));
    assertEquals(TEN_PAST, RideEventTime.pickupMillis(GOOD.getBytes(StandardCharsets.UTF_8)));
  }
}
