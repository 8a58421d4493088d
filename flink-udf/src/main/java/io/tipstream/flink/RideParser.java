package io.tipstream.flink;

import java.math.BigDecimal;

/**
 * Reads a ride message once: a strict JSON reader that keeps only the top-level members the job
 * uses, then the job's validation in its order, with its reasons word for word. It reproduces what
 * the SQL did with {@code IS JSON OBJECT}, {@code JSON_VALUE} and {@code TRY_CAST}:
 *
 * <ul>
 *   <li>the JSON rules of Flink's Jackson (no comments, single quotes, trailing commas, leading
 *       zeros or bare control characters), and like it, text after the object is not read;
 *   <li>a member's value as {@code JSON_VALUE} returns it: strings decoded, numbers as Jackson
 *       writes them back (integers as written, others as {@link BigDecimal#toString()}), booleans
 *       as {@code true} / {@code false}, null, objects and arrays as no value; a repeated member
 *       keeps its last value;
 *   <li>numbers as {@code TRY_CAST(... AS DOUBLE)} reads them ({@link Double#valueOf(String)}).
 * </ul>
 */
public final class RideParser {
  /** The members read, in the order of {@link Ride}'s text fields. */
  private static final String[] FIELDS = {
    "medallion", "hackLicense", "vendorId", "pickupTime", "tripDistanceInMiles", "pickupLon", "pickupLat", "dropoffLon", "dropoffLat",
  };
  private static final int MEDALLION = 0, HACK_LICENSE = 1, VENDOR_ID = 2, PICKUP_TIME = 3, DISTANCE = 4;
  private static final int PICKUP_LON = 5, PICKUP_LAT = 6, DROPOFF_LON = 7, DROPOFF_LAT = 8;

  /** A ride, or the reason it is malformed (then the other fields are not to be used). */
  public record Ride(
      String medallion, String hackLicense, String vendorId, double tripDistanceInMiles,
      String pickupLon, String pickupLat, String dropoffLon, String dropoffLat, String malformedReason) {
    static Ride malformed(String reason) {
      return new Ride(null, null, null, 0, null, null, null, null, reason);
    }
  }

  /** Thrown inside the reader for text that is not JSON; never leaves this class, so no stack trace. */
  private static final class NotJson extends RuntimeException {
    NotJson() {
      super(null, null, false, false);
    }
  }

  private static final NotJson NOT_JSON = new NotJson();

  private final String text;
  private final String[] values = new String[FIELDS.length];
  /** Which values were JSON numbers: those always cast to DOUBLE, so only strings need the check. */
  private final boolean[] numeric = new boolean[FIELDS.length];
  private int pos;

  private RideParser(String text) {
    this.text = text;
  }

  /**
   * Parses and validates one ride. {@code eventTimeMillis} is the source's event time for it (from
   * {@link RideEventTime}; the epoch when that found no time): the row joins on it, so a pickup
   * time here that does not give the same instant is malformed too.
   */
  public static Ride parse(String payload, long eventTimeMillis) {
    if (payload == null) return Ride.malformed("ride is not a JSON object");
    RideParser parser = new RideParser(payload);
    try {
      parser.readObject();
    } catch (NotJson | IndexOutOfBoundsException e) {
      return Ride.malformed("ride is not a JSON object");
    }
    return parser.validate(eventTimeMillis);
  }

  private Ride validate(long eventTimeMillis) {
    String[] v = values;
    if (isEmpty(v[MEDALLION])) return Ride.malformed("ride has no medallion");
    if (isEmpty(v[HACK_LICENSE])) return Ride.malformed("ride has no hackLicense");
    if (isEmpty(v[VENDOR_ID])) return Ride.malformed("ride has no vendorId");
    if (v[PICKUP_TIME] == null) return Ride.malformed("ride has no pickupTime");
    long pickup = PickupTimes.rideMillis(v[PICKUP_TIME], 0, v[PICKUP_TIME].length());
    // The epoch itself stands for "no time" in the source's event time, as it did in the SQL.
    if (pickup == PickupTimes.INVALID || pickup != eventTimeMillis || eventTimeMillis == 0) {
      return Ride.malformed("ride pickupTime is not an ISO-8601 UTC time");
    }
    Double distance = toDouble(v[DISTANCE]);
    if (distance == null) return Ride.malformed("ride tripDistanceInMiles is not a number");
    if (!isNumber(PICKUP_LON)) return Ride.malformed("ride pickupLon is not a number");
    if (!isNumber(PICKUP_LAT)) return Ride.malformed("ride pickupLat is not a number");
    if (!isNumber(DROPOFF_LON)) return Ride.malformed("ride dropoffLon is not a number");
    if (!isNumber(DROPOFF_LAT)) return Ride.malformed("ride dropoffLat is not a number");
    return new Ride(v[MEDALLION], v[HACK_LICENSE], v[VENDOR_ID], distance, v[PICKUP_LON], v[PICKUP_LAT], v[DROPOFF_LON], v[DROPOFF_LAT], null);
  }

  private boolean isNumber(int field) {
    return numeric[field] || toDouble(values[field]) != null;
  }

  private static boolean isEmpty(String value) {
    return value == null || value.isEmpty();
  }

  static Double toDouble(String value) {
    if (value == null) return null;
    try {
      return Double.valueOf(value);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  // ---- the JSON reader ----

  private void readObject() {
    skipBlanks();
    expect('{');
    skipBlanks();
    if (peek() == '}') return;
    while (true) {
      skipBlanks();
      int field = readKey();
      skipBlanks();
      expect(':');
      skipBlanks();
      if (field >= 0) {
        numeric[field] = isNumberStart(peek());
        values[field] = readScalar();
      }
      else skipValue(0);
      skipBlanks();
      char c = next();
      if (c == '}') return;
      if (c != ',') throw NOT_JSON;
    }
  }

  /** The index in {@link #FIELDS} of the key at the cursor, or -1 for a member the job does not use. */
  private int readKey() {
    if (peek() != '"') throw NOT_JSON;
    int start = pos + 1;
    int end = start;
    while (true) {
      char c = text.charAt(end);
      if (c == '"') break;
      if (c == '\\' || c < 0x20) {
        // A key with escapes (rare): decode it to compare.
        String key = readString();
        for (int i = 0; i < FIELDS.length; i++) if (FIELDS[i].equals(key)) return i;
        return -1;
      }
      end++;
    }
    pos = end + 1;
    int length = end - start;
    for (int i = 0; i < FIELDS.length; i++) {
      if (FIELDS[i].length() == length && text.regionMatches(start, FIELDS[i], 0, length)) return i;
    }
    return -1;
  }

  /** A value as JSON_VALUE returns it: null for null, an object or an array. */
  private String readScalar() {
    char c = peek();
    switch (c) {
      case '"':
        return readString();
      case '{':
      case '[':
        skipValue(0);
        return null;
      case 't':
        literal("true");
        return "true";
      case 'f':
        literal("false");
        return "false";
      case 'n':
        literal("null");
        return null;
      default:
        return readNumber();
    }
  }

  private void skipValue(int depth) {
    if (depth > 1000) throw NOT_JSON;
    char c = peek();
    switch (c) {
      case '"' -> skipString();
      case 't' -> literal("true");
      case 'f' -> literal("false");
      case 'n' -> literal("null");
      case '{' -> {
        pos++;
        skipBlanks();
        if (peek() == '}') {
          pos++;
          return;
        }
        while (true) {
          skipBlanks();
          if (peek() != '"') throw NOT_JSON;
          skipString();
          skipBlanks();
          expect(':');
          skipBlanks();
          skipValue(depth + 1);
          skipBlanks();
          char d = next();
          if (d == '}') return;
          if (d != ',') throw NOT_JSON;
        }
      }
      case '[' -> {
        pos++;
        skipBlanks();
        if (peek() == ']') {
          pos++;
          return;
        }
        while (true) {
          skipBlanks();
          skipValue(depth + 1);
          skipBlanks();
          char d = next();
          if (d == ']') return;
          if (d != ',') throw NOT_JSON;
        }
      }
      default -> scanNumber();
    }
  }

  private static boolean isNumberStart(char c) {
    return c == '-' || isDigit(c);
  }

  /** A number's text, as Jackson's value prints: integers as written (-0 as 0), others via BigDecimal. */
  private String readNumber() {
    int start = pos;
    int shape = scanNumber();
    String literal = text.substring(start, pos);
    if (shape == INTEGER) return literal.equals("-0") ? "0" : literal;
    // A decimal without exponent whose integer part is not zero prints back as written (the common case).
    if (shape == PLAIN_DECIMAL) return literal;
    return new BigDecimal(literal).toString();
  }

  private static final int INTEGER = 0, PLAIN_DECIMAL = 1, OTHER_DECIMAL = 2;

  /** Moves past a JSON number; its shape, for {@link #readNumber()}. */
  private int scanNumber() {
    int shape = INTEGER;
    if (peek() == '-') pos++;
    char c = next();
    boolean zeroInteger = c == '0';
    if (zeroInteger) {
      if (pos < text.length() && isDigit(text.charAt(pos))) throw NOT_JSON;
    } else if (c >= '1' && c <= '9') {
      while (pos < text.length() && isDigit(text.charAt(pos))) pos++;
    } else {
      throw NOT_JSON;
    }
    if (pos < text.length() && text.charAt(pos) == '.') {
      shape = zeroInteger ? OTHER_DECIMAL : PLAIN_DECIMAL;
      pos++;
      if (!isDigit(next())) throw NOT_JSON;
      while (pos < text.length() && isDigit(text.charAt(pos))) pos++;
    }
    if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
      shape = OTHER_DECIMAL;
      pos++;
      if (peek() == '+' || peek() == '-') pos++;
      if (!isDigit(next())) throw NOT_JSON;
      while (pos < text.length() && isDigit(text.charAt(pos))) pos++;
    }
    return shape;
  }

  private String readString() {
    expect('"');
    int start = pos;
    StringBuilder decoded = null;
    while (true) {
      char c = next();
      if (c == '"') return decoded == null ? text.substring(start, pos - 1) : decoded.toString();
      if (c < 0x20) throw NOT_JSON;
      if (c == '\\') {
        if (decoded == null) decoded = new StringBuilder(text.length()).append(text, start, pos - 1);
        decoded.append(escape());
      } else if (decoded != null) {
        decoded.append(c);
      }
    }
  }

  private void skipString() {
    expect('"');
    while (true) {
      char c = next();
      if (c == '"') return;
      if (c < 0x20) throw NOT_JSON;
      if (c == '\\') escape();
    }
  }

  private char escape() {
    char c = next();
    switch (c) {
      case '"': return '"';
      case '\\': return '\\';
      case '/': return '/';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'u': {
        int code = 0;
        for (int i = 0; i < 4; i++) {
          int digit = Character.digit(next(), 16);
          if (digit < 0) throw NOT_JSON;
          code = code * 16 + digit;
        }
        return (char) code;
      }
      default: throw NOT_JSON;
    }
  }

  private void literal(String word) {
    if (!text.startsWith(word, pos)) throw NOT_JSON;
    pos += word.length();
  }

  private void skipBlanks() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      pos++;
    }
  }

  private void expect(char c) {
    if (next() != c) throw NOT_JSON;
  }

  private char peek() {
    return text.charAt(pos);
  }

  private char next() {
    return text.charAt(pos++);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
