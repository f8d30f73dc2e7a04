package dev.dsync.events.source;

import java.time.Instant;
import java.util.Map;

/** A polled sync job finished listing its source; {@code counters} count what it emitted. */
public record SyncJobCompleted(
    String jobId, String connectionId, SyncMode mode, Instant completedAt, Map<String, Long> counters) {}
