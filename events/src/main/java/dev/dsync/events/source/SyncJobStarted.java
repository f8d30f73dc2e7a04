package dev.dsync.events.source;

import java.time.Instant;

/** A polled sync job began; the changes that follow carry its {@code jobId}. */
public record SyncJobStarted(String jobId, String connectionId, SyncMode mode, Instant startedAt) {}
