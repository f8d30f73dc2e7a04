package dev.dsync.reconciler.rules;

/** What happens to a managed identity deleted or deactivated at the source, or leaving scope. */
public enum DeprovisioningPolicy {
  /** Keep it, state INACTIVE (the default: reversible). */
  DEACTIVATE,
  /** Delete it now (dsync.user.deleted, state tombstone). */
  DELETE,
  /** Deactivate now, delete once the grace period has passed without it coming back. */
  DEACTIVATE_THEN_DELETE
}
