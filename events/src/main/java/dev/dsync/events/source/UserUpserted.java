package dev.dsync.events.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.Actor;
import java.time.Instant;
import java.util.List;

/**
 * A user was created or changed at the source. {@code resource} is the whole user after the
 * change, normalised to the SCIM core and enterprise schemas with unknown attributes kept.
 */
public record UserUpserted(
    String resourceId,
    String externalId,
    long sourceVersion,
    Instant sourceTime,
    ObjectNode resource,
    List<String> changedAttributes,
    Actor actor,
    String jobId) {}
