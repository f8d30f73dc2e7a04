package dev.dsync.events.identity;

import java.util.Map;

/**
 * Data of {@code dsync.user.created|updated|deleted}. {@code previousAttributes} holds, for an
 * update, the old value of each canonical attribute that changed (null otherwise).
 */
public record UserEventData(long sequence, CanonicalUser user, Map<String, Object> previousAttributes) {}
