package dev.dsync.events.source;

import dev.dsync.events.Actor;
import java.time.Instant;

/** A group was deleted at the source. */
public record GroupDeleted(
    String resourceId,
    String externalId,
    long sourceVersion,
    Instant sourceTime,
    Actor actor,
    String jobId) {}
