package dev.dsync.audit.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dsync.audit.chain.CanonicalJson;
import dev.dsync.audit.chain.ChainHash;
import dev.dsync.audit.chain.ChainedRecord;
import java.time.Instant;
import java.util.UUID;

/** A consumed event turned into an audit record that has no place in the chain yet. */
public record AuditDraft(
    String tenantId,
    UUID eventId,
    String eventType,
    String source,
    String directoryId,
    Instant occurredAt,
    String actorKind,
    String actorId,
    String action,
    String entityType,
    String entityId,
    String outcome,
    String jobId,
    String traceId,
    JsonNode data) {

  /** Places the draft at {@code position} after {@code prevHash} and computes its hash. */
  public ChainedRecord chain(long position, Instant recordedAt, String prevHash) {
    return chain(position, recordedAt, prevHash, CanonicalJson.write(data));
  }

  /** As {@link #chain(long, Instant, String)}, with the data's canonical text already at hand. */
  public ChainedRecord chain(long position, Instant recordedAt, String prevHash, String canonicalData) {
    ChainedRecord unhashed =
        new ChainedRecord(
            tenantId, position, eventId, eventType, source, directoryId, ChainHash.micros(occurredAt),
            ChainHash.micros(recordedAt), actorKind, actorId, action, entityType, entityId, outcome,
            jobId, traceId, data, prevHash, null);
    return new ChainedRecord(
        tenantId, position, eventId, eventType, source, directoryId, unhashed.occurredAt(),
        unhashed.recordedAt(), actorKind, actorId, action, entityType, entityId, outcome, jobId,
        traceId, data, prevHash, ChainHash.hash(unhashed, canonicalData));
  }
}
