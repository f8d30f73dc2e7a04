package dev.dsync.audit.query;

import java.time.Instant;

/**
 * What a caller may filter audit records by; null means "any". Times bound {@code occurredAt}:
 * {@code from} inclusive, {@code to} exclusive.
 */
public record RecordFilter(
    Instant from,
    Instant to,
    String directoryId,
    String actor,
    String action,
    String entityId,
    String outcome,
    String eventType) {}
