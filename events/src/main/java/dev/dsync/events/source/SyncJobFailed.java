package dev.dsync.events.source;

import java.time.Instant;

/** A polled sync job stopped before completing; its staged changes must not be applied as complete. */
public record SyncJobFailed(
    String jobId, String connectionId, SyncMode mode, Instant failedAt, String reason) {}
