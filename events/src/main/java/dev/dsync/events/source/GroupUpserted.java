package dev.dsync.events.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.Actor;
import java.time.Instant;
import java.util.List;

/**
 * A group was created or its own attributes changed. {@code resource} carries no member list:
 * membership travels as {@link GroupMembershipChanged} deltas, so a large group is never re-sent.
 */
public record GroupUpserted(
    String resourceId,
    String externalId,
    long sourceVersion,
    Instant sourceTime,
    ObjectNode resource,
    List<String> changedAttributes,
    Actor actor,
    String jobId) {}
