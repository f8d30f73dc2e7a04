package dev.dsync.audit.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dsync.audit.chain.ChainedRecord;
import java.time.Instant;
import java.util.UUID;

/** An audit record as the admin API shows it. */
public record AuditRecordView(
    long position,
    UUID eventId,
    String eventType,
    String source,
    String directoryId,
    Instant occurredAt,
    Instant recordedAt,
    Actor actor,
    String action,
    Entity entity,
    String outcome,
    Correlation correlation,
    JsonNode data,
    String previousHash,
    String hash) {

  /** Who acted: a SCIM token id, an admin's JWT subject, or a dsync service. */
  public record Actor(String kind, String id) {}

  /** What was acted on. */
  public record Entity(String type, String id) {}

  /** Ids that tie the record to other systems' logs. */
  public record Correlation(UUID eventId, String jobId, String traceId) {}

  public static AuditRecordView of(ChainedRecord r) {
    return new AuditRecordView(
        r.position(),
        r.eventId(),
        r.eventType(),
        r.source(),
        r.directoryId(),
        r.occurredAt(),
        r.recordedAt(),
        new Actor(r.actorKind(), r.actorId()),
        r.action(),
        new Entity(r.entityType(), r.entityId()),
        r.outcome(),
        new Correlation(r.eventId(), r.jobId(), r.traceId()),
        r.data(),
        r.prevHash(),
        r.hash());
  }
}
