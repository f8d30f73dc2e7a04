package dev.dsync.platform.outbox;

import dev.dsync.events.EventJson;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;

/**
 * Appends events to the outbox inside the caller's Hibernate Reactive transaction, so the state
 * change and its events commit together or not at all. Call it from a method that owns the
 * transaction ({@code @WithTransaction} or {@code Panache.withTransaction}).
 */
@ApplicationScoped
public class Outbox {

  /** Buckets rows are spread over by key; must match nothing else (it is not persisted config). */
  static final int BUCKETS = 16;

  private static final String INSERT =
      "insert into outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source,"
          + " subject, tenant_id, directory_id, traceparent, bucket)"
          + " values (:id, :aggregatetype, :aggregateid, :type, cast(cast(:payload as text) as jsonb), :topic,"
          + " :source, :subject, :tenant, :directory, :traceparent,"
          + " (hashtext(:aggregateid) & 2147483647) % "
          + BUCKETS
          + ")";

  private static final String INSERT_POSITIONAL =
      "insert into outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source,"
          + " subject, tenant_id, directory_id, traceparent, bucket)"
          + " values ($1, $2, $3, $4, cast(cast($5 as text) as jsonb), $6, $7, $8, $9, $10, $11,"
          + " (hashtext($3) & 2147483647) % "
          + BUCKETS
          + ")";

  // The inner cast types the parameter as text: bound straight to jsonb, the pg client would
  // encode the Java String as a JSON string scalar.
  private final OutboxConfig config;

  public Outbox(OutboxConfig config) {
    this.config = config;
  }

  public Uni<UUID> append(OutboxMessage message) {
    return Panache.getSession()
        .chain(
            session ->
                session
                    .createNativeQuery(INSERT)
                    .setParameter("id", message.id())
                    .setParameter("aggregatetype", message.type().topic().topicName())
                    .setParameter("aggregateid", message.key())
                    .setParameter("type", message.type().type())
                    .setParameter("payload", payload(message))
                    .setParameter("topic", message.type().topic().topicName())
                    .setParameter("source", config.source())
                    .setParameter("subject", message.subject())
                    .setParameter("tenant", message.tenantId())
                    .setParameter("directory", message.directoryId())
                    .setParameter("traceparent", traceparent())
                    .executeUpdate())
        .replaceWith(message.id());
  }

  /**
   * Appends an event through a Vert.x SQL connection that is inside a transaction, for services
   * that use the reactive PostgreSQL client directly rather than Hibernate Reactive.
   */
  public Uni<UUID> append(SqlClient tx, OutboxMessage message) {
    return tx.preparedQuery(INSERT_POSITIONAL)
        .execute(
            Tuple.from(
                new Object[] {
                  message.id(),
                  message.type().topic().topicName(),
                  message.key(),
                  message.type().type(),
                  payload(message),
                  message.type().topic().topicName(),
                  config.source(),
                  message.subject(),
                  message.tenantId(),
                  message.directoryId(),
                  traceparent()
                }))
        .replaceWith(message.id());
  }

  /** Appends several events in order through a Vert.x SQL connection inside a transaction. */
  public Uni<Void> appendAll(SqlClient tx, List<OutboxMessage> messages) {
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (OutboxMessage m : messages) {
      chain = chain.chain(() -> append(tx, m)).replaceWithVoid();
    }
    return chain;
  }

  /** Appends several events in order (per key, the relay publishes them in this order). */
  public Uni<Void> appendAll(List<OutboxMessage> messages) {
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (OutboxMessage m : messages) {
      chain = chain.chain(() -> append(m)).replaceWithVoid();
    }
    return chain;
  }

  private static String payload(OutboxMessage message) {
    return message.isTombstone() ? null : EventJson.write(message.data());
  }

  /** W3C traceparent of the current span, so the Kafka hop continues the request's trace. */
  private static String traceparent() {
    SpanContext ctx = Span.current().getSpanContext();
    if (!ctx.isValid()) {
      return null;
    }
    return "00-" + ctx.getTraceId() + "-" + ctx.getSpanId() + "-" + ctx.getTraceFlags().asHex();
  }
}
