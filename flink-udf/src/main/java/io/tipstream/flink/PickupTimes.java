package io.tipstream.flink;

/**
 * The two pickup-time forms the job accepts, read by hand: a regex per record was a fifth of the
 * job's CPU. They are exactly what the SQL's regexes accepted before:
 *
 * <ul>
 *   <li>rides: {@code yyyy-MM-ddTHH:mm:ss[.S{1,3}]} then {@code Z}, {@code +00:00} or {@code +0000}
 *       (the reference generator writes the offset form);
 *   <li>fares: {@code yyyy-MM-dd HH:mm:ss}, with blanks around it allowed.
 * </ul>
 *
 * A time is returned as epoch milliseconds (UTC), or {@link #INVALID} when the text is not one, or
 * names a day or time of day that does not exist.
 */
public final class PickupTimes {
  public static final long INVALID = Long.MIN_VALUE;

  private PickupTimes() {}

  /** A ride's pickup time, {@code text[from, to)}. */
  public static long rideMillis(CharSequence text, int from, int to) {
    // yyyy-MM-ddTHH:mm:ss is 19 characters; then an optional fraction; then the zone.
    if (to - from < 20 || text.charAt(from + 10) != 'T') return INVALID;
    int end = from + 19;
    int millis = 0;
    if (text.charAt(end) == '.') {
      int digits = 0;
      end += 1;
      while (end < to && digits < 4 && isDigit(text.charAt(end))) {
        millis = millis * 10 + (text.charAt(end) - '0');
        digits += 1;
        end += 1;
      }
      if (digits == 0 || digits > 3) return INVALID;
      for (int d = digits; d < 3; d++) millis *= 10;
    }
    if (!isUtcSuffix(text, end, to)) return INVALID;
    long seconds = dateTimeSeconds(text, from);
    return seconds == INVALID ? INVALID : seconds * 1000 + millis;
  }

  /** A fare's pickup time, {@code text[from, to)}. */
  public static long fareMillis(CharSequence text, int from, int to) {
    while (from < to && isRegexSpace(text.charAt(from))) from++;
    while (to > from && isRegexSpace(text.charAt(to - 1))) to--;
    if (to - from != 19 || text.charAt(from + 10) != ' ') return INVALID;
    long seconds = dateTimeSeconds(text, from);
    return seconds == INVALID ? INVALID : seconds * 1000;
  }

  private static boolean isUtcSuffix(CharSequence text, int at, int to) {
    int n = to - at;
    if (n == 1) return text.charAt(at) == 'Z';
    if (n == 6) return text.charAt(at) == '+' && text.charAt(at + 1) == '0' && text.charAt(at + 2) == '0'
        && text.charAt(at + 3) == ':' && text.charAt(at + 4) == '0' && text.charAt(at + 5) == '0';
    if (n == 5) return text.charAt(at) == '+' && text.charAt(at + 1) == '0' && text.charAt(at + 2) == '0'
        && text.charAt(at + 3) == '0' && text.charAt(at + 4) == '0';
    return false;
  }

  /** {@code yyyy-MM-dd?HH:mm:ss} at {@code at} (the separator already checked) as epoch seconds. */
  private static long dateTimeSeconds(CharSequence t, int at) {
    if (t.charAt(at + 4) != '-' || t.charAt(at + 7) != '-' || t.charAt(at + 13) != ':' || t.charAt(at + 16) != ':') return INVALID;
    int year = digits(t, at, 4);
    int month = digits(t, at + 5, 2);
    int day = digits(t, at + 8, 2);
    int hour = digits(t, at + 11, 2);
    int minute = digits(t, at + 14, 2);
    int second = digits(t, at + 17, 2);
    if ((year | month | day | hour | minute | second) < 0) return INVALID;
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return INVALID;
    return epochDay(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second;
  }

  /** The number written by {@code count} ASCII digits at {@code at}, or -1. */
  private static int digits(CharSequence t, int at, int count) {
    int value = 0;
    for (int i = at; i < at + count; i++) {
      char c = t.charAt(i);
      if (!isDigit(c)) return -1;
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** What Java's regex {@code \s} matches: the fare time allowed these around it. */
  private static boolean isRegexSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }

  private static int daysInMonth(int year, int month) {
    if (month == 2) return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
    return (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31;
  }

  /** Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
  private static long epochDay(int year, int month, int day) {
    long y = month <= 2 ? year - 1 : year;
    long era = Math.floorDiv(y, 400);
    long yearOfEra = y - era * 400;
    long dayOfYear = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
    return era * 146_097 + dayOfEra - 719_468;
  }
}
