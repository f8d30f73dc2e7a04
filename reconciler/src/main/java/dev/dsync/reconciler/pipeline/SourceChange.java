package dev.dsync.reconciler.pipeline;

import dev.dsync.events.DsyncEvent;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.source.GroupMembershipChanged;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** One source event as the reconciler handles it: envelope, parsed data and the raw JSON (for staging). */
public record SourceChange(
    UUID eventId, EventType type, String tenantId, String directoryId, Object data, String json) {

  /** Reads a consumed record; throws {@link RejectedChange} for one that cannot be a source change. */
  public static SourceChange from(DsyncEvent event) {
    UUID id;
    try {
      id = UUID.fromString(event.id());
    } catch (IllegalArgumentException e) {
      throw new RejectedChange("ce_id is not a UUID");
    }
    String json = event.data() == null ? "" : new String(event.data(), StandardCharsets.UTF_8);
    return of(id, event.type(), event.tenantId(), event.directoryId(), json);
  }

  /** Rebuilds a change from its stored parts (a staged or disputed change). */
  public static SourceChange of(UUID id, String type, String tenantId, String directoryId, String json) {
    EventType t;
    try {
      t = EventType.of(type);
    } catch (IllegalArgumentException e) {
      throw new RejectedChange("unknown event type " + type);
    }
    if (t.topic() != dev.dsync.events.Topic.SOURCE_CHANGES) {
      throw new RejectedChange("not a source change: " + type);
    }
    if (tenantId == null || tenantId.isBlank() || directoryId == null || directoryId.isBlank()) {
      throw new RejectedChange("source changes need ce_tenantid and ce_directoryid");
    }
    Object data;
    try {
      data = EventJson.read(json, t.dataClass());
    } catch (RuntimeException e) {
      throw new RejectedChange("data does not match " + type);
    }
    if (data == null) {
      throw new RejectedChange("no data");
    }
    if (json.contains("\\u0000") && hasNul(json)) {
      // PostgreSQL text cannot hold it: every statement naming the value would fail, whether it
      // reads ahead, classifies or writes, and the change would be retried forever.
      throw new RejectedChange("a value holds a NUL character (\\u0000), which PostgreSQL cannot store");
    }
    return new SourceChange(id, t, tenantId, directoryId, data, json);
  }

  /** Whether a field name or string value of the JSON text holds U+0000 (not merely the text "\\u0000"). */
  static boolean hasNul(String json) {
    try (com.fasterxml.jackson.core.JsonParser p = EventJson.mapper().getFactory().createParser(json)) {
      for (var t = p.nextToken(); t != null; t = p.nextToken()) {
        if ((t == com.fasterxml.jackson.core.JsonToken.VALUE_STRING || t == com.fasterxml.jackson.core.JsonToken.FIELD_NAME)
            && p.getText().indexOf('\0') >= 0) {
          return true;
        }
      }
      return false;
    } catch (java.io.IOException e) {
      return false; // it parsed a moment ago
    }
  }

  /**
   * How much work applying this change is, for cutting transactions: 1, plus 1 per member a
   * membership change names (each member is a row, an event and a state record; one change of a
   * 20,000-member group weighs as much as 20,000 user changes).
   */
  public int weight() {
    if (data instanceof GroupMembershipChanged m) {
      return 1 + (m.added() == null ? 0 : m.added().size()) + (m.removed() == null ? 0 : m.removed().size());
    }
    return 1;
  }

  public <T> T data(Class<T> type) {
    return type.cast(data);
  }
}
