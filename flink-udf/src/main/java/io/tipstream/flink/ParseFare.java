package io.tipstream.flink;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;

/**
 * {@code PARSE_FARE(payload, eventTime, kafkaPartition, kafkaOffset, policy)}: a ROW of the fields
 * the job uses, {@code malformedReason} (NULL for a good fare) and {@code implausibleReason} (NULL
 * unless a well-formed fare's time is implausible, {@link PartitionClock}), computed once per
 * record (see {@link ParseFunction}).
 */
@FunctionHint(
    output = @DataTypeHint(
        value = "ROW<medallion STRING, hackLicense STRING, vendorId STRING, fareAmount DOUBLE, tipAmount DOUBLE, malformedReason STRING, implausibleReason STRING>",
        bridgedTo = RowData.class))
public final class ParseFare extends ParseFunction {
  public RowData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload,
      @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class) TimestampData eventTime,
      Integer kafkaPartition,
      Long kafkaOffset,
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData policy) {
    long millis = eventTime == null ? 0 : eventTime.getMillisecond();
    FareParser.Fare fare = FareParser.parse(payload == null ? null : payload.toString(), millis);
    boolean good = fare.malformedReason() == null;
    PartitionClock.Decision decision = clockOf(EventTimeGuard.Stream.FARE, kafkaPartition)
        .decide(offset(kafkaOffset), millis, good, policy(policy), System.currentTimeMillis());
    return GenericRowData.of(
        text(fare.medallion()), text(fare.hackLicense()), text(fare.vendorId()),
        good ? fare.fareAmount() : null, good ? fare.tipAmount() : null,
        text(fare.malformedReason()), text(decision.implausibleReason()));
  }
}
