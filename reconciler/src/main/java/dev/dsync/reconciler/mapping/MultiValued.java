package dev.dsync.reconciler.mapping;

/** How a source path that yields several values becomes one canonical attribute. */
public enum MultiValued {
  /** The first value (the primary one first, when the source marks one). */
  FIRST,
  /** All values, as a list. */
  ALL,
  /** All values joined into one string with the mapping's separator. */
  JOIN
}
