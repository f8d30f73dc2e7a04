package dev.dsync.events.audit;

import java.time.Instant;

/** The head of a tenant's audit hash chain, published so an external system can anchor it. */
public record AuditCheckpoint(String headHash, long count, long headPosition, Instant at) {}
