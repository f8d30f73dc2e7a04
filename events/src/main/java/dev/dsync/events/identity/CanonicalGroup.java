package dev.dsync.events.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/** A group as dsync publishes it; its members travel as user_added/user_removed events. */
public record CanonicalGroup(
    String id,
    String tenantId,
    String directoryId,
    String externalId,
    String displayName,
    Map<String, Object> attributes,
    ObjectNode rawAttributes) {}
