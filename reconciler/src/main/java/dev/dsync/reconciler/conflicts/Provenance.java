package dev.dsync.reconciler.conflicts;

import java.time.Instant;

/** Where a canonical attribute's value came from: directory, its sourceVersion and time, and the priority it won with. */
public record Provenance(String directoryId, long sourceVersion, Instant sourceTime, int priority) {}
