package dev.dsync.events.identity;

/** Data of {@code dsync.directory.activated|deactivated|deleted}. */
public record DirectoryEventData(long sequence, String directoryId, String tenantId, String name, String state) {}
