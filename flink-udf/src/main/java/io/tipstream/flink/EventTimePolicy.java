package io.tipstream.flink;

import java.time.Instant;

/**
 * The bounds that decide whether a record's event time is plausible, as the job's SQL passes them
 * (orchestrator/job-values.ts writes the text): {@code key=value} pairs separated by commas, every
 * time in epoch milliseconds. A bound of 0 is off.
 *
 * <ul>
 *   <li>{@code maxAheadOfClock}: how far past the clock a time may be;
 *   <li>{@code maxJump}: how far past its partition's time so far (see {@link PartitionClock});
 *   <li>{@code earliest}: no time before this is plausible (a clock reset to 1970 is the usual case);
 *   <li>{@code clockWall}, {@code clockEvent}, {@code clockSpeedup}: the clock. Live mode's runs
 *       {@code clockSpeedup} times faster than the wall from {@code clockEvent} at wall time
 *       {@code clockWall}; the clock is the later of that and the wall.
 * </ul>
 */
public record EventTimePolicy(long maxAheadOfClockMs, long maxJumpMs, long earliestMs, long clockWallMs, long clockEventMs, double clockSpeedup) {
  public static final EventTimePolicy DEFAULT = new EventTimePolicy(3_600_000, 365 * 86_400_000L, Instant.parse("2000-01-01T00:00:00Z").toEpochMilli(), 0, 0, 1);

  static EventTimePolicy parse(String text) {
    long maxAhead = DEFAULT.maxAheadOfClockMs, maxJump = DEFAULT.maxJumpMs, earliest = DEFAULT.earliestMs;
    long clockWall = 0, clockEvent = 0;
    double speedup = 1;
    for (String pair : text.split(",")) {
      int eq = pair.indexOf('=');
      if (eq < 0) throw new IllegalArgumentException("event-time policy: '" + pair + "' is not key=value");
      String key = pair.substring(0, eq).trim();
      String value = pair.substring(eq + 1).trim();
      switch (key) {
        case "maxAheadOfClock" -> maxAhead = nonNegative(key, Long.parseLong(value));
        case "maxJump" -> maxJump = nonNegative(key, Long.parseLong(value));
        case "earliest" -> earliest = Long.parseLong(value);
        case "clockWall" -> clockWall = Long.parseLong(value);
        case "clockEvent" -> clockEvent = Long.parseLong(value);
        case "clockSpeedup" -> speedup = Double.parseDouble(value);
        default -> throw new IllegalArgumentException("event-time policy: unknown key '" + key + "'");
      }
    }
    if (!(speedup > 0)) throw new IllegalArgumentException("event-time policy: clockSpeedup must be above 0");
    return new EventTimePolicy(maxAhead, maxJump, earliest, clockWall, clockEvent, speedup);
  }

  private static long nonNegative(String key, long value) {
    if (value < 0) throw new IllegalArgumentException("event-time policy: " + key + " must not be negative");
    return value;
  }

  /** Where the clock is at this wall time. */
  public long clockAt(long wallMs) {
    if (clockSpeedup == 1 && clockEventMs <= clockWallMs) return wallMs;
    long live = clockEventMs + (long) ((wallMs - clockWallMs) * clockSpeedup);
    return Math.max(wallMs, live);
  }

  /** A bound as a person reads it: "1 h", "1 d", "90 s". */
  static String span(long ms) {
    if (ms % 86_400_000 == 0) return ms / 86_400_000 + " d";
    if (ms % 3_600_000 == 0) return ms / 3_600_000 + " h";
    if (ms % 60_000 == 0) return ms / 60_000 + " min";
    if (ms % 1_000 == 0) return ms / 1_000 + " s";
    return ms + " ms";
  }
}
