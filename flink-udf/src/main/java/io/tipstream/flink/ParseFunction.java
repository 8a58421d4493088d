package io.tipstream.flink;

import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * What {@link ParseRide} and {@link ParseFare} share: a scalar function returning a ROW, declared
 * non-deterministic so that the planner keeps one call per record. A deterministic call is
 * inlined into every expression that reads a field of its result (the record parsed once per
 * field); and a table function ({@code LATERAL TABLE}) is never shared across the statement set's
 * sinks, so each sink got a parse and a join of its own.
 */
abstract class ParseFunction extends ScalarFunction {
  // Non-deterministic for a second reason too: a record's implausibleReason depends on the records
  // its partition showed before it (PartitionClock), so no call may be dropped, copied or reordered.
  @Override
  public final boolean isDeterministic() {
    return false;
  }

  static StringData text(String value) {
    return value == null ? null : StringData.fromString(value);
  }

  private transient int clockPartition;
  private transient PartitionClock clock;

  /**
   * The clock of the record's partition ({@link EventTimeGuard}). A task thread reads one or a
   * few partitions, in runs: the last one is kept, to spare a thread-local map look-up per record.
   */
  final PartitionClock clockOf(EventTimeGuard.Stream stream, Integer kafkaPartition) {
    int partition = kafkaPartition == null ? -1 : kafkaPartition;
    if (partition != clockPartition || clock == null) {
      clock = EventTimeGuard.clock(stream, partition);
      clockPartition = partition;
    }
    return clock;
  }

  static long offset(Long kafkaOffset) {
    return kafkaOffset == null ? -1 : kafkaOffset;
  }

  // Transient: Flink serializes function instances into the job; these are per-thread caches.
  private transient StringData policyText;
  private transient EventTimePolicy policy;

  /** The policy the job passes as a literal: the same for every record, so parsed once per instance (one task thread each). */
  final EventTimePolicy policy(StringData text) {
    if (text == null) return EventTimePolicy.DEFAULT;
    if (policy == null || (text != policyText && !text.equals(policyText))) {
      policy = EventTimePolicy.parse(text.toString());
      policyText = text;
    }
    return policy;
  }
}
