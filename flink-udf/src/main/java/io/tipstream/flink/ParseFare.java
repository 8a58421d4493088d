package io.tipstream.flink;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code LATERAL TABLE(PARSE_FARE(payload, eventTime))}: one row per fare, the fields the job uses
 * and {@code malformedReason} (NULL for a good fare). A table function for the reason given in
 * {@link ParseRide}.
 */
@FunctionHint(
    output = @DataTypeHint(
        value = "ROW<medallion STRING, hackLicense STRING, vendorId STRING, fareAmount DOUBLE, tipAmount DOUBLE, malformedReason STRING>",
        bridgedTo = RowData.class))
public final class ParseFare extends ScalarFunction {
  /**
   * Declared non-deterministic so that the planner keeps the one call per row: it inlines a
   * deterministic call into every expression that reads a field of its result.
   */
  @Override
  public boolean isDeterministic() {
    return false;
  }

  public RowData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload,
      @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class) TimestampData eventTime) {
    FareParser.Fare fare = FareParser.parse(payload == null ? null : payload.toString(), eventTime == null ? 0 : eventTime.getMillisecond());
    boolean good = fare.malformedReason() == null;
    return GenericRowData.of(
        ParseRide.text(fare.medallion()), ParseRide.text(fare.hackLicense()), ParseRide.text(fare.vendorId()),
        good ? fare.fareAmount() : null, good ? fare.tipAmount() : null,
        ParseRide.text(fare.malformedReason()));
  }
}
