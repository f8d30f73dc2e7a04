package dev.dsync.reconciler.api;

import java.util.List;

/** One page of a list; pass {@code nextCursor} back as {@code cursor} for the next (absent on the last page). */
public record Page<T>(List<T> items, String nextCursor) {}
