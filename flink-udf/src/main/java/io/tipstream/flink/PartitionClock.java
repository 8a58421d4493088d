package io.tipstream.flink;

import java.time.Instant;

/**
 * The event time one Kafka partition has shown so far, and the decision for each record: whether
 * its time is plausible, and where the partition's frontier (what its watermark follows) is after
 * it. Only a well-formed record with a plausible time moves the frontier:
 *
 * <ul>
 *   <li>a time before {@code earliest}, or more than {@code maxAheadOfClock} past the clock, is
 *       implausible wherever it comes;
 *   <li>a time more than {@code maxJump} past the frontier is implausible, unless {@link #CONFIRMATIONS}
 *       records in a row agree with it (within {@code maxJump} of each other): then the partition's
 *       time really moved on (a replay of a later file) and the frontier follows;
 *   <li>a partition starts with no frontier (a new job, or a restarted one: this state is not in
 *       checkpoints). Its first records are checked against the clock alone, and the frontier is
 *       set only once two of them agree, so a single wrong first record never moves the watermark.
 * </ul>
 *
 * A record behind the frontier is plausible: whether it is late is the watermark's business, as
 * before. Decisions are remembered by offset: the job asks once for the row and once for the
 * watermark, and both must get the same answer although the wall clock moved in between.
 */
public final class PartitionClock {
  public static final long NONE = Long.MIN_VALUE;
  /** Records in a row that agree on a jump before the frontier follows it. */
  public static final int CONFIRMATIONS = 16;
  private static final int SETTLING = 4;

  /** {@code implausibleReason} is NULL for a plausible (or malformed) record; {@code frontier} is {@link #NONE} until set. */
  public record Decision(String implausibleReason, long frontier) {}

  private long frontier = NONE;
  private final long[] settling = new long[SETTLING];
  private int settled;
  private long candidate = NONE;
  private long candidateMax = NONE;
  private int candidates;
  private long lastOffset = Long.MIN_VALUE;
  private Decision last;

  /** The decision for the record at {@code offset}: {@code pickupMillis} is its time, {@code wellFormed} whether it parsed and validated. */
  public Decision decide(long offset, long pickupMillis, boolean wellFormed, EventTimePolicy policy, long wallMs) {
    if (offset == lastOffset && last != null) return last;
    lastOffset = offset;
    last = wellFormed ? judge(pickupMillis, policy, wallMs) : new Decision(null, frontier);
    return last;
  }

  /** The decision already made for the record at {@code offset}, or NULL. */
  public Decision decided(long offset) {
    return offset == lastOffset ? last : null;
  }

  private Decision judge(long t, EventTimePolicy policy, long wallMs) {
    if (t < policy.earliestMs()) {
      return implausible("before " + Instant.ofEpochMilli(policy.earliestMs()));
    }
    if (policy.maxAheadOfClockMs() > 0 && t > policy.clockAt(wallMs) + policy.maxAheadOfClockMs()) {
      return implausible("more than " + EventTimePolicy.span(policy.maxAheadOfClockMs()) + " ahead of the clock");
    }
    long maxJump = policy.maxJumpMs();
    if (maxJump == 0) {
      frontier = Math.max(frontier, t);
    } else if (frontier == NONE) {
      settle(t, maxJump);
    } else if (t > frontier + maxJump) {
      if (candidates > 0 && Math.abs(t - candidate) <= maxJump) {
        candidates += 1;
        candidateMax = Math.max(candidateMax, t);
      } else {
        candidate = t;
        candidateMax = t;
        candidates = 1;
      }
      if (candidates < CONFIRMATIONS) {
        return implausible("more than " + EventTimePolicy.span(maxJump) + " ahead of its partition's time");
      }
      frontier = candidateMax;
      candidates = 0;
    } else {
      frontier = Math.max(frontier, t);
      candidates = 0;
    }
    return new Decision(null, frontier);
  }

  /** No frontier yet: the first time that agrees with an earlier one sets it. */
  private void settle(long t, long maxJump) {
    for (int i = 0; i < Math.min(settled, SETTLING); i++) {
      if (Math.abs(t - settling[i]) <= maxJump) {
        frontier = Math.max(t, settling[i]);
        return;
      }
    }
    settling[settled % SETTLING] = t;
    settled += 1;
  }

  private Decision implausible(String bound) {
    return new Decision("implausible event time: " + bound, frontier);
  }
}
