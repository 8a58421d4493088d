package io.tipstream.flink;

import java.util.HashMap;
import java.util.Map;

/**
 * The {@link PartitionClock} of every partition a task reads, per stream. Flink evaluates the
 * source's WATERMARK expression and the row's parse in the same task thread (the parse is chained
 * to the source), so the state lives with the thread: both calls for a record meet the same clock,
 * and the second gets the first's decision. A restarted task is a new thread with fresh clocks.
 */
final class EventTimeGuard {
  enum Stream { RIDE, FARE }

  private static final ThreadLocal<Map<Long, PartitionClock>> CLOCKS = ThreadLocal.withInitial(HashMap::new);

  private EventTimeGuard() {}

  static PartitionClock clock(Stream stream, int partition) {
    return CLOCKS.get().computeIfAbsent(((long) partition << 1) | stream.ordinal(), k -> new PartitionClock());
  }
}
