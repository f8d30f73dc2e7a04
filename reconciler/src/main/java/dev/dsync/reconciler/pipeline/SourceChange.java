package dev.dsync.reconciler.pipeline;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.dsync.events.DsyncEvent;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.source.GroupDeleted;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.GroupUpserted;
import dev.dsync.events.source.UserDeleted;
import dev.dsync.events.source.UserUpserted;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * One source event as the reconciler handles it: envelope, data and the raw JSON (for staging).
 *
 * <p>A change of a sync job is only staged when it is consumed: its text is stored and bound when
 * the job is applied. Consuming it reads the JSON once as tokens, for the job, the resource and the
 * number of members, and binds it only if something asks for its data (a change of a job that has
 * finished is applied as a push). Binding every change at consumption and again when applied had
 * made the source consumer the slower half of a sync's staging. A change without a job is bound at
 * once, on the consumer's thread, as before.
 */
public final class SourceChange {

  private final UUID eventId;
  private final EventType type;
  private final String tenantId;
  private final String directoryId;
  private final String json;
  private final String jobId;
  private final String resourceId;
  private final int weight;
  /** The bound data; null until asked for when only the envelope was read. */
  private Object data;

  /** A change with its data bound already (tests, and everything {@link #of} binds). */
  public SourceChange(UUID eventId, EventType type, String tenantId, String directoryId, Object data, String json) {
    this(eventId, type, tenantId, directoryId, json, jobIdOf(data), resourceIdOf(data), weightOf(data), data);
  }

  private SourceChange(
      UUID eventId, EventType type, String tenantId, String directoryId, String json, String jobId, String resourceId, int weight, Object data) {
    this.eventId = eventId;
    this.type = type;
    this.tenantId = tenantId;
    this.directoryId = directoryId;
    this.json = json;
    this.jobId = jobId;
    this.resourceId = resourceId;
    this.weight = weight;
    this.data = data;
  }

  /** Reads a consumed record; throws {@link RejectedChange} for one that cannot be a source change. */
  public static SourceChange from(DsyncEvent event) {
    UUID id;
    try {
      id = UUID.fromString(event.id());
    } catch (IllegalArgumentException e) {
      throw new RejectedChange("ce_id is not a UUID");
    }
    String json = event.data() == null ? "" : new String(event.data(), StandardCharsets.UTF_8);
    EventType t = sourceType(event.type(), event.tenantId(), event.directoryId());
    Envelope e = envelope(t, json);
    if (e != null && e.jobId() != null) {
      return new SourceChange(id, t, event.tenantId(), event.directoryId(), json, e.jobId(), e.resourceId(), e.weight(), null);
    }
    return bind(id, t, event.tenantId(), event.directoryId(), json);
  }

  /** Rebuilds a change from its stored parts (a staged or disputed change), its data bound. */
  public static SourceChange of(UUID id, String type, String tenantId, String directoryId, String json) {
    return bind(id, sourceType(type, tenantId, directoryId), tenantId, directoryId, json);
  }

  private static EventType sourceType(String type, String tenantId, String directoryId) {
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
    return t;
  }

  private static SourceChange bind(UUID id, EventType t, String tenantId, String directoryId, String json) {
    return new SourceChange(id, t, tenantId, directoryId, bound(t, json), json);
  }

  private static Object bound(EventType t, String json) {
    Object data;
    try {
      data = EventJson.read(json, t.dataClass());
    } catch (RuntimeException e) {
      throw new RejectedChange("data does not match " + t.type());
    }
    if (data == null) {
      throw new RejectedChange("no data");
    }
    if (json.contains("\\u0000") && hasNul(json)) {
      // PostgreSQL text cannot hold it: every statement naming the value would fail, whether it
      // reads ahead, classifies or writes, and the change would be retried forever.
      throw new RejectedChange("a value holds a NUL character (\\u0000), which PostgreSQL cannot store");
    }
    return data;
  }

  /** What staging needs of a change, read from its tokens. */
  record Envelope(String jobId, String resourceId, int weight) {}

  /**
   * The job, resource and weight of a user, group or membership change, read as tokens without
   * binding (the tokens are all read, so text that is not JSON is refused here as by binding); null
   * for other types and for anything that binding might read otherwise (a job or resource that is
   * not a string, members that are not an array), which is then bound.
   */
  static Envelope envelope(EventType t, String json) {
    boolean membership = t == EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED;
    if (!membership && t != EventType.SOURCE_USER_UPSERTED && t != EventType.SOURCE_USER_DELETED
        && t != EventType.SOURCE_GROUP_UPSERTED && t != EventType.SOURCE_GROUP_DELETED) {
      return null;
    }
    String resourceField = membership ? "groupId" : "resourceId";
    try (JsonParser p = EventJson.mapper().getFactory().createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      String jobId = null;
      String resourceId = null;
      int weight = 1;
      for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
        JsonToken value = p.nextToken();
        if (name.equals("jobId") || name.equals(resourceField)) {
          if (value != JsonToken.VALUE_STRING && value != JsonToken.VALUE_NULL) {
            return null;
          }
          String text = value == JsonToken.VALUE_NULL ? null : p.getText();
          if (name.equals("jobId")) {
            jobId = text;
          } else {
            resourceId = text;
          }
        } else if (membership && (name.equals("added") || name.equals("removed")) && value != JsonToken.VALUE_NULL) {
          if (value != JsonToken.START_ARRAY) {
            return null;
          }
          for (JsonToken member = p.nextToken(); member != JsonToken.END_ARRAY; member = p.nextToken()) {
            p.skipChildren();
            weight++;
          }
        } else {
          p.skipChildren();
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT) {
        return null;
      }
      return new Envelope(jobId, resourceId, weight);
    } catch (IOException e) {
      throw new RejectedChange("data does not match " + t.type());
    }
  }

  /** Whether a field name or string value of the JSON text holds U+0000 (not merely the text "\\u0000"). */
  static boolean hasNul(String json) {
    try (JsonParser p = EventJson.mapper().getFactory().createParser(json)) {
      for (var t = p.nextToken(); t != null; t = p.nextToken()) {
        if ((t == JsonToken.VALUE_STRING || t == JsonToken.FIELD_NAME) && p.getText().indexOf('\0') >= 0) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return false; // it parsed a moment ago
    }
  }

  public UUID eventId() {
    return eventId;
  }

  public EventType type() {
    return type;
  }

  public String tenantId() {
    return tenantId;
  }

  public String directoryId() {
    return directoryId;
  }

  /** The JSON text as received. */
  public String json() {
    return json;
  }

  /** The sync job the change belongs to; null for a push. */
  public String jobId() {
    return jobId;
  }

  /** The user's or group's source id (a membership change's group); null for other types. */
  public String resourceId() {
    return resourceId;
  }

  /**
   * How much work applying this change is, for cutting transactions: 1, plus 1 per member a
   * membership change names (each member is a row, an event and a state record; one change of a
   * 20,000-member group weighs as much as 20,000 user changes).
   */
  public int weight() {
    return weight;
  }

  /** The data as its contract record, bound on first use; {@link RejectedChange} if it does not bind. */
  public Object data() {
    Object d = data;
    if (d == null) {
      d = bound(type, json);
      data = d;
    }
    return d;
  }

  public <T> T data(Class<T> type) {
    return type.cast(data());
  }

  private static String jobIdOf(Object d) {
    if (d instanceof UserUpserted u) {
      return u.jobId();
    } else if (d instanceof UserDeleted u) {
      return u.jobId();
    } else if (d instanceof GroupUpserted g) {
      return g.jobId();
    } else if (d instanceof GroupDeleted g) {
      return g.jobId();
    } else if (d instanceof GroupMembershipChanged m) {
      return m.jobId();
    }
    return null;
  }

  private static String resourceIdOf(Object d) {
    if (d instanceof UserUpserted u) {
      return u.resourceId();
    } else if (d instanceof UserDeleted u) {
      return u.resourceId();
    } else if (d instanceof GroupUpserted g) {
      return g.resourceId();
    } else if (d instanceof GroupDeleted g) {
      return g.resourceId();
    } else if (d instanceof GroupMembershipChanged m) {
      return m.groupId();
    }
    return null;
  }

  private static int weightOf(Object d) {
    if (d instanceof GroupMembershipChanged m) {
      return 1 + (m.added() == null ? 0 : m.added().size()) + (m.removed() == null ? 0 : m.removed().size());
    }
    return 1;
  }
}
