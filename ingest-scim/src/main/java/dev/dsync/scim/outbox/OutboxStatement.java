package dev.dsync.scim.outbox;

import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxConfig;
import dev.dsync.platform.outbox.OutboxMessage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * platform's outbox insert ({@code Outbox#append}) as the last part of a data-modifying statement,
 * so a SCIM write and its event reach PostgreSQL as one statement: one round trip, atomic without
 * an explicit transaction, and for group changes made inside the statement that holds the group's
 * row lock. Columns, bucket and traceparent are those {@code Outbox#append} writes;
 * OutboxStatementTest writes a row both ways and compares them, so a change to either side fails
 * the build.
 */
@ApplicationScoped
public class OutboxStatement {

  /** platform's {@code Outbox.BUCKETS} (package-private there). */
  static final int BUCKETS = 16;

  /** How many parameters {@link #addParams} adds. */
  public static final int PARAMS = 11;

  private final OutboxConfig config;

  public OutboxStatement(OutboxConfig config) {
    this.config = config;
  }

  /**
   * {@code insert into outbox_event ... select ... from <from>}: one outbox row per row of {@code
   * from} (a CTE of the statement), its parameters numbered from {@code first}. {@code payload}
   * may wrap the payload's text expression (and answer text), to fill in what only the statement
   * knows (a version).
   */
  public static String insertFrom(String from, int first, UnaryOperator<String> payload) {
    String key = "cast($" + (first + 2) + " as text)";
    return "insert into outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source, subject, tenant_id, directory_id, traceparent, bucket)"
        + " select cast($" + first + " as uuid), cast($" + (first + 1) + " as text), " + key + ", cast($" + (first + 3) + " as text), "
        + payload.apply("cast($" + (first + 4) + " as text)")
        + ", cast($" + (first + 5) + " as text), cast($" + (first + 6) + " as text), cast($" + (first + 7) + " as text), cast($" + (first + 8)
        + " as text), cast($" + (first + 9) + " as text), cast($" + (first + 10) + " as text),"
        + " (hashtext(" + key + ") & 2147483647) % " + BUCKETS
        + " from " + from;
  }

  /** The parameters of {@link #insertFrom} for {@code message}, in order. */
  public void addParams(List<Object> params, OutboxMessage message) {
    params.add(message.id());
    params.add(message.type().topic().topicName());
    params.add(message.key());
    params.add(message.type().type());
    params.add(Outbox.payload(message, config.maxPayloadBytes()));
    params.add(message.type().topic().topicName());
    params.add(config.source());
    params.add(message.subject());
    params.add(message.tenantId());
    params.add(message.directoryId());
    params.add(traceparent());
  }

  /** W3C traceparent of the current span, as {@code Outbox} records it. */
  private static String traceparent() {
    SpanContext ctx = Span.current().getSpanContext();
    if (!ctx.isValid()) {
      return null;
    }
    return "00-" + ctx.getTraceId() + "-" + ctx.getSpanId() + "-" + ctx.getTraceFlags().asHex();
  }
}
