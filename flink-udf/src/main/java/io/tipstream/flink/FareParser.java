package io.tipstream.flink;

/**
 * Reads a fare message once: its last line (the reference generator sends the CSV header line, a
 * CRLF, then the record), split at commas, then the job's validation in its order, with its
 * reasons word for word. It reproduces what the SQL did with {@code SPLIT_INDEX}, {@code TRIM}
 * (blanks only) and {@code TRY_CAST(... AS DOUBLE)} ({@link Double#valueOf(String)}).
 */
public final class FareParser {
  private static final int COLUMNS = 11;

  /** A fare, or the reason it is malformed (then the other fields are not to be used). */
  public record Fare(String medallion, String hackLicense, String vendorId, double fareAmount, double tipAmount, String malformedReason) {
    static Fare malformed(String reason) {
      return new Fare(null, null, null, 0, 0, reason);
    }
  }

  private static final String[] NUMBER_REASONS = {
    "fare fareAmount is not a number", "fare surcharge is not a number", "fare mtaTax is not a number",
    "fare tipAmount is not a number", "fare tollsAmount is not a number", "fare totalAmount is not a number",
  };

  private FareParser() {}

  /** Where the record is in a message: {from, to} of its last line, a trailing CR dropped. */
  static int[] lastLine(String payload) {
    int to = payload.length();
    // One line feed at the very end closes the last line rather than starting an empty one.
    if (to > 0 && payload.charAt(to - 1) == '\n') to--;
    int from = payload.lastIndexOf('\n', to - 1) + 1;
    while (to > from && payload.charAt(to - 1) == '\r') to--;
    return new int[] {from, to};
  }

  /** {@code eventTimeMillis} is the source's event time for it (from {@link FareEventTime}; the epoch when that found no time). */
  public static Fare parse(String payload, long eventTimeMillis) {
    if (payload == null) return Fare.malformed("fare does not have 11 comma-separated columns");
    int[] line = lastLine(payload);
    int[] starts = new int[COLUMNS];
    int[] ends = new int[COLUMNS];
    int column = 0;
    int start = line[0];
    for (int i = line[0]; i <= line[1]; i++) {
      if (i == line[1] || payload.charAt(i) == ',') {
        if (column == COLUMNS) return Fare.malformed("fare does not have 11 comma-separated columns");
        starts[column] = start;
        ends[column] = i;
        column++;
        start = i + 1;
      }
    }
    // SPLIT_INDEX found no column at all in an empty line.
    if (column != COLUMNS || line[0] == line[1]) return Fare.malformed("fare does not have 11 comma-separated columns");
    String medallion = trimmed(payload, starts[0], ends[0]);
    if (medallion.isEmpty()) return Fare.malformed("fare has no medallion");
    String hackLicense = trimmed(payload, starts[1], ends[1]);
    if (hackLicense.isEmpty()) return Fare.malformed("fare has no hackLicense");
    String vendorId = trimmed(payload, starts[2], ends[2]);
    if (vendorId.isEmpty()) return Fare.malformed("fare has no vendorId");
    long pickup = PickupTimes.fareMillis(payload, starts[3], ends[3]);
    // The epoch itself stands for "no time" in the source's event time, as it did in the SQL.
    if (pickup == PickupTimes.INVALID || pickup != eventTimeMillis || eventTimeMillis == 0) {
      return Fare.malformed("fare pickupTime is not yyyy-MM-dd HH:mm:ss");
    }
    double[] numbers = new double[6];
    for (int k = 0; k < 6; k++) {
      Double value = RideParser.toDouble(trimmed(payload, starts[5 + k], ends[5 + k]));
      if (value == null) return Fare.malformed(NUMBER_REASONS[k]);
      numbers[k] = value;
    }
    return new Fare(medallion, hackLicense, vendorId, numbers[0], numbers[3], null);
  }

  /** The column with blanks (only) trimmed, as SQL's TRIM does. */
  private static String trimmed(String text, int from, int to) {
    while (from < to && text.charAt(from) == ' ') from++;
    while (to > from && text.charAt(to - 1) == ' ') to--;
    return text.substring(from, to);
  }

  /** The pickup time of a fare message, for the source's event time: epoch milliseconds, or {@link PickupTimes#INVALID}. */
  public static long pickupMillis(String payload) {
    int[] line = lastLine(payload);
    int column = 0;
    int start = line[0];
    for (int i = line[0]; i < line[1]; i++) {
      if (payload.charAt(i) == ',') {
        if (column == 3) return PickupTimes.fareMillis(payload, start, i);
        column++;
        start = i + 1;
      }
    }
    return column == 3 ? PickupTimes.fareMillis(payload, start, line[1]) : PickupTimes.INVALID;
  }
}
