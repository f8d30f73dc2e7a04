package dev.dsync.audit.chain;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.UUID;

/**
 * One audit record as it is hashed and stored: its place in the tenant's chain, what happened,
 * who did it, the correlation ids and the event's data (secrets already removed). Times have
 * microsecond precision, as PostgreSQL keeps them.
 */
public record ChainedRecord(
    String tenantId,
    long position,
    UUID eventId,
    String eventType,
    String source,
    String directoryId,
    Instant occurredAt,
    Instant recordedAt,
    String actorKind,
    String actorId,
    String action,
    String entityType,
    String entityId,
    String outcome,
    String jobId,
    String traceId,
    JsonNode data,
    String prevHash,
    String hash) {}
