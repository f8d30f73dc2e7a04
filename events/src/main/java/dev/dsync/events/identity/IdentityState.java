package dev.dsync.events.identity;

import java.util.List;

/**
 * Value of {@code dsync.identity.state}: the current canonical state of one user or group. A user
 * carries the ids of its direct groups; a deleted entity is a tombstone (null value).
 */
public record IdentityState(
    String entityType, long sequence, CanonicalUser user, CanonicalGroup group, List<String> groupIds) {}
