package dev.dsync.events.source;

import dev.dsync.events.Actor;
import java.time.Instant;

/** A user was hard-deleted at the source (deactivation is an upsert with active=false). */
public record UserDeleted(
    String resourceId,
    String externalId,
    long sourceVersion,
    Instant sourceTime,
    Actor actor,
    String jobId) {}
