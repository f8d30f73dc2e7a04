package dev.dsync.webhooks.delivery;

import io.vertx.mutiny.sqlclient.Row;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A delivery this replica has leased, with what it needs to send it. {@code sendBy} (a
 * {@link System#nanoTime()} value) is the last moment its attempt may start: after it, the lease
 * no longer covers the attempt and another replica may take the delivery over.
 */
public record Claimed(
    UUID deliveryId,
    UUID claimId,
    String tenantId,
    UUID messageId,
    UUID endpointId,
    int attempts,
    int scheduleBase,
    String eventType,
    String payload,
    Instant occurredAt,
    String url,
    byte[] secret,
    byte[] previousSecret,
    Instant previousSecretExpiresAt,
    Integer rateLimit,
    Instant failingSince,
    long sendBy) {

  static Claimed of(Row row, UUID claimId, long sendBy) {
    return new Claimed(
        row.getUUID("id"),
        claimId,
        row.getString("tenant_id"),
        row.getUUID("message_id"),
        row.getUUID("endpoint_id"),
        row.getInteger("attempts"),
        row.getInteger("schedule_base"),
        row.getString("event_type"),
        row.getString("payload"),
        instant(row.getOffsetDateTime("occurred_at")),
        row.getString("url"),
        row.getBuffer("secret").getBytes(),
        row.getBuffer("previous_secret") == null ? null : row.getBuffer("previous_secret").getBytes(),
        instant(row.getOffsetDateTime("previous_secret_expires_at")),
        row.getInteger("rate_limit"),
        instant(row.getOffsetDateTime("failing_since")),
        sendBy);
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
