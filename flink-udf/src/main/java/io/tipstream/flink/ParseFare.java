package io.tipstream.flink;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;

/**
 * {@code PARSE_FARE(payload, eventTime)}: a ROW of the fields the job uses and
 * {@code malformedReason} (NULL for a good fare), computed once per record (see
 * {@link ParseFunction}).
 */
@FunctionHint(
    output = @DataTypeHint(
        value = "ROW<medallion STRING, hackLicense STRING, vendorId STRING, fareAmount DOUBLE, tipAmount DOUBLE, malformedReason STRING>",
        bridgedTo = RowData.class))
public final class ParseFare extends ParseFunction {
  public RowData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload,
      @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class) TimestampData eventTime) {
    FareParser.Fare fare = FareParser.parse(payload == null ? null : payload.toString(), eventTime == null ? 0 : eventTime.getMillisecond());
    boolean good = fare.malformedReason() == null;
    return GenericRowData.of(
        text(fare.medallion()), text(fare.hackLicense()), text(fare.vendorId()),
        good ? fare.fareAmount() : null, good ? fare.tipAmount() : null,
        text(fare.malformedReason()));
  }
}
