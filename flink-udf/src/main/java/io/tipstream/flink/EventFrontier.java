package io.tipstream.flink;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;

/**
 * {@code RIDE_FRONTIER(payload, eventTime, kafkaPartition, kafkaOffset, policy)} and
 * {@code FARE_FRONTIER(...)}: the source's WATERMARK, before its delay. The partition's frontier
 * after this record ({@link PartitionClock}), or NULL while it has none, which leaves the
 * watermark where it is. Flink's generated watermark generator takes the expression's value as it
 * is (not a maximum over records), so a record that is malformed or implausible moves nothing.
 * The parse of the same record has decided already (it is emitted before the watermark generator
 * sees it), and the decision is reused; otherwise it is made here.
 */
abstract class EventFrontier extends ParseFunction {
  private final EventTimeGuard.Stream stream;

  EventFrontier(EventTimeGuard.Stream stream) {
    this.stream = stream;
  }

  public @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class) TimestampData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload,
      @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class) TimestampData eventTime,
      Integer kafkaPartition,
      Long kafkaOffset,
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData policy) {
    long millis = eventTime == null ? 0 : eventTime.getMillisecond();
    PartitionClock clock = clockOf(stream, kafkaPartition);
    long offset = offset(kafkaOffset);
    PartitionClock.Decision decision = clock.decided(offset);
    if (decision == null) {
      decision = clock.decide(offset, millis, wellFormed(payload == null ? null : payload.toString(), millis), policy(policy), System.currentTimeMillis());
    }
    return decision.frontier() == PartitionClock.NONE ? null : TimestampData.fromEpochMillis(decision.frontier());
  }

  abstract boolean wellFormed(String payload, long eventTimeMillis);

  /** {@code RIDE_FRONTIER}. */
  public static final class Ride extends EventFrontier {
    public Ride() {
      super(EventTimeGuard.Stream.RIDE);
    }

    @Override
    boolean wellFormed(String payload, long eventTimeMillis) {
      return RideParser.parse(payload, eventTimeMillis).malformedReason() == null;
    }
  }

  /** {@code FARE_FRONTIER}. */
  public static final class Fare extends EventFrontier {
    public Fare() {
      super(EventTimeGuard.Stream.FARE);
    }

    @Override
    boolean wellFormed(String payload, long eventTimeMillis) {
      return FareParser.parse(payload, eventTimeMillis).malformedReason() == null;
    }
  }
}
