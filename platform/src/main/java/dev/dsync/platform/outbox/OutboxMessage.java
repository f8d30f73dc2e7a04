package dev.dsync.platform.outbox;

import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.TimeOrderedIds;
import java.util.Objects;
import java.util.UUID;

/**
 * One event to publish: its CloudEvents id (stable across re-sends), type, the Kafka key, tenant
 * and directory, the entity it is about, and its data record. Null data is a tombstone: a null
 * Kafka value that deletes the key from a compacted topic.
 */
public record OutboxMessage(
    UUID id, EventType type, String key, String tenantId, String directoryId, String subject, Object data) {

  public OutboxMessage {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(tenantId, "tenantId");
  }

  /** A tombstone for {@code key}: a null value on the type's (compacted) topic. */
  public static OutboxMessage tombstone(EventType type, String key, String tenantId, String directoryId, String subject) {
    return new OutboxMessage(TimeOrderedIds.next(), type, key, tenantId, directoryId, subject, null);
  }

  public boolean isTombstone() {
    return data == null;
  }

  /**
   * This message with its data written to JSON now. A service that collects many messages before
   * appending them (the reconciler, a page of a sync job) keeps ~1 KB of UTF-8 per event instead of
   * the data's object graph (a user with its source resource as a JSON tree is ~10 times that),
   * which the young collections would otherwise copy until the append.
   */
  public OutboxMessage written() {
    if (data == null || data instanceof JsonText) {
      return this;
    }
    return new OutboxMessage(id, type, key, tenantId, directoryId, subject, new JsonText(EventJson.writeBytes(data)));
  }

  /** A message with a fresh id. */
  public static OutboxMessage of(
      EventType type, String key, String tenantId, String directoryId, String subject, Object data) {
    return new OutboxMessage(TimeOrderedIds.next(), type, key, tenantId, directoryId, subject, data);
  }
}
