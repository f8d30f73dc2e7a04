package dev.dsync.audit.verify;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The outcome of walking a tenant's chain (or a window of it): whether it verifies, how much was
 * checked, the head it was checked against, the prefix retention removed, and the first break.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VerificationReport(
    boolean valid,
    long checkedRecords,
    Long firstPosition,
    Long lastPosition,
    long headPosition,
    String headHash,
    long prunedThrough,
    ChainBreak firstBreak) {}
