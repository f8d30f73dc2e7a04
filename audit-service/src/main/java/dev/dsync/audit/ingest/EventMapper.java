package dev.dsync.audit.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.dsync.audit.chain.CanonicalJson;
import dev.dsync.events.Actor;
import dev.dsync.events.CloudEventAttributes;
import dev.dsync.events.EventType;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Turns a consumed CloudEvent (binary mode) into an audit draft: who (the data's actor, else the
 * emitting service), did what (action), to which entity, with which outcome, plus the correlation
 * ids and the data minus secrets. Works on the JSON tree rather than the contract records, so an
 * event type added later is still recorded, with generic fields.
 */
@ApplicationScoped
public class EventMapper {

  /** Why a record was not turned into a draft. */
  public enum Skip {
    /** Not a dsync CloudEvent: no usable ce_id or ce_tenantid. */
    NOT_A_DSYNC_EVENT,
    /** One of our own checkpoints coming back from dsync.audit.records. */
    OWN_CHECKPOINT
  }

  /** A draft, or the reason there is none. */
  public record Mapped(AuditDraft draft, Skip skipped) {}

  private final SecretRedactor redactor;

  public EventMapper(SecretRedactor redactor) {
    this.redactor = redactor;
  }

  public Mapped map(ConsumerRecord<?, byte[]> record) {
    String id = header(record, CloudEventAttributes.ID);
    String tenant = header(record, CloudEventAttributes.TENANT_ID);
    String type = header(record, CloudEventAttributes.TYPE);
    UUID eventId = uuid(id);
    if (eventId == null || tenant == null || tenant.isBlank() || type == null) {
      return new Mapped(null, Skip.NOT_A_DSYNC_EVENT);
    }
    if (EventType.AUDIT_CHECKPOINT.type().equals(type)) {
      // Recording our own anchors would move the chain head and call for another checkpoint.
      return new Mapped(null, Skip.OWN_CHECKPOINT);
    }
    String source = header(record, CloudEventAttributes.SOURCE);
    String directory = header(record, CloudEventAttributes.DIRECTORY_ID);
    JsonNode data = redactor.redact(parse(record.value()));

    Instant occurredAt = time(header(record, CloudEventAttributes.TIME));
    if (occurredAt == null) {
      occurredAt = Instant.ofEpochMilli(record.timestamp());
    }
    String actorKind;
    String actorId;
    JsonNode actor = data.path("actor");
    if (actor.isObject() && actor.hasNonNull("kind")) {
      actorKind = actor.path("kind").asText();
      actorId = actor.hasNonNull("id") ? actor.path("id").asText() : null;
    } else {
      actorKind = Actor.Kind.SYSTEM.name();
      actorId = source;
    }
    String[] entity = entity(type, data, directory);
    return new Mapped(
        new AuditDraft(
            tenant,
            eventId,
            type,
            source == null ? "" : source,
            directory == null || directory.isEmpty() ? null : directory,
            occurredAt,
            actorKind,
            actorId,
            action(type, data),
            entity[0],
            entity[1],
            outcome(type, data).name(),
            text(data, "jobId"),
            traceId(header(record, "traceparent")),
            data),
        null);
  }

  static String action(String type, JsonNode data) {
    if (EventType.AUDIT_RECORD.type().equals(type) && data.hasNonNull("action")) {
      return data.path("action").asText();
    }
    if (EventType.PROVISIONING_RESULT.type().equals(type) && data.hasNonNull("outcome")) {
      return "provisioning." + data.path("outcome").asText().toLowerCase(Locale.ROOT);
    }
    return type.startsWith("dsync.") ? type.substring("dsync.".length()) : type;
  }

  static Outcome outcome(String type, JsonNode data) {
    String outcome = text(data, "outcome");
    if (EventType.AUDIT_RECORD.type().equals(type) && outcome != null) {
      try {
        return Outcome.valueOf(outcome);
      } catch (IllegalArgumentException e) {
        return Outcome.FAILURE;
      }
    }
    if (EventType.PROVISIONING_RESULT.type().equals(type)) {
      return "FAILED".equals(outcome) ? Outcome.FAILURE : Outcome.SUCCESS;
    }
    if (EventType.WEBHOOK_ATTEMPT.type().equals(type)) {
      return "SUCCEEDED".equals(outcome) ? Outcome.SUCCESS : Outcome.FAILURE;
    }
    if (type.endsWith(".failed")) {
      return Outcome.FAILURE;
    }
    return Outcome.SUCCESS;
  }

  /** {type, id} of the entity the event is about. */
  static String[] entity(String type, JsonNode data, String directory) {
    if (type.startsWith("dsync.source.user.")) {
      return new String[] {"user", text(data, "resourceId")};
    }
    if (type.equals("dsync.source.group.membership_changed")) {
      return new String[] {"group", text(data, "groupId")};
    }
    if (type.startsWith("dsync.source.group.")) {
      return new String[] {"group", text(data, "resourceId")};
    }
    if (type.startsWith("dsync.source.sync_job.")) {
      return new String[] {"sync_job", text(data, "jobId")};
    }
    if (type.startsWith("dsync.source.directory.") || type.startsWith("dsync.directory.")) {
      String id = text(data, "directoryId");
      return new String[] {"directory", id == null ? directory : id};
    }
    if (type.startsWith("dsync.user.")) {
      return new String[] {"user", text(data.path("user"), "id")};
    }
    if (type.startsWith("dsync.group.")) {
      // Membership events are about the group; the user is in the data.
      return new String[] {"group", text(data.path("group"), "id")};
    }
    if (EventType.PROVISIONING_RESULT.type().equals(type)) {
      return new String[] {text(data, "entityType"), text(data, "entityId")};
    }
    if (EventType.WEBHOOK_ATTEMPT.type().equals(type)) {
      return new String[] {"webhook_message", text(data, "messageId")};
    }
    if (EventType.AUDIT_RECORD.type().equals(type)) {
      return new String[] {text(data, "targetType"), text(data, "targetId")};
    }
    return new String[] {null, text(data, "id")};
  }

  private static JsonNode parse(byte[] value) {
    if (value == null) {
      return TextNode.valueOf("");
    }
    try {
      JsonNode node = CanonicalJson.parse(value);
      return node == null ? TextNode.valueOf("") : node;
    } catch (IOException e) {
      // Not JSON: keep what was sent, as a string, rather than lose the event.
      return TextNode.valueOf(new String(value, StandardCharsets.UTF_8));
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.path(field);
    return v.isValueNode() && !v.isNull() ? v.asText() : null;
  }

  private static String traceId(String traceparent) {
    // W3C traceparent: version-traceid-spanid-flags.
    if (traceparent == null) {
      return null;
    }
    String[] parts = traceparent.split("-");
    return parts.length == 4 && parts[1].length() == 32 ? parts[1] : null;
  }

  private static Instant time(String ceTime) {
    if (ceTime == null || ceTime.isBlank()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(ceTime).toInstant();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static UUID uuid(String id) {
    if (id == null || id.isBlank()) {
      return null;
    }
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      // Ids are UUIDs by contract; a foreign id still gets a stable one, so replays stay idempotent.
      return UUID.nameUUIDFromBytes(("ce_id:" + id).getBytes(StandardCharsets.UTF_8));
    }
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
