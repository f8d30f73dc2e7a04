package dev.dsync.webhooks.audit;

import dev.dsync.events.Actor;
import dev.dsync.events.EventType;
import dev.dsync.events.audit.AuditRecord;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** Appends {@code dsync.audit.record} events for endpoint changes, in the caller's transaction. */
@ApplicationScoped
public class AuditTrail {

  public static final String TARGET_ENDPOINT = "webhook_endpoint";

  private final Outbox outbox;

  public AuditTrail(Outbox outbox) {
    this.outbox = outbox;
  }

  /** Records that {@code actor} did {@code action} to endpoint {@code endpointId}; details hold no secrets. */
  public Uni<UUID> endpoint(String tenantId, Actor actor, String action, UUID endpointId, Map<String, Object> details) {
    return outbox.append(message(tenantId, actor, action, endpointId, details));
  }

  /** As {@link #endpoint}, in a transaction of the reactive SQL client. */
  public Uni<UUID> endpoint(SqlClient tx, String tenantId, Actor actor, String action, UUID endpointId, Map<String, Object> details) {
    return outbox.append(tx, message(tenantId, actor, action, endpointId, details));
  }

  private static OutboxMessage message(String tenantId, Actor actor, String action, UUID endpointId, Map<String, Object> details) {
    AuditRecord record =
        new AuditRecord(
            actor, action, TARGET_ENDPOINT, endpointId.toString(), AuditRecord.Outcome.SUCCESS, Instant.now(), details);
    return OutboxMessage.of(EventType.AUDIT_RECORD, tenantId, tenantId, null, endpointId.toString(), record);
  }
}
