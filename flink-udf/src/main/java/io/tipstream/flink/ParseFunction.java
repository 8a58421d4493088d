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

  static int partition(Integer kafkaPartition) {
    return kafkaPartition == null ? -1 : kafkaPartition;
  }

  static long offset(Long kafkaOffset) {
    return kafkaOffset == null ? -1 : kafkaOffset;
  }

  static EventTimePolicy policy(StringData text) {
    return text == null ? EventTimePolicy.DEFAULT : EventTimePolicy.of(text.toString());
  }
}
