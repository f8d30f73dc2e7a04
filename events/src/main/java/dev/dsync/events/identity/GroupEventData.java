package dev.dsync.events.identity;

import java.util.Map;

/** Data of {@code dsync.group.created|updated|deleted}; previousAttributes as for users. */
public record GroupEventData(long sequence, CanonicalGroup group, Map<String, Object> previousAttributes) {}
