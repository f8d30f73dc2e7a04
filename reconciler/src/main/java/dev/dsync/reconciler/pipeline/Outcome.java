package dev.dsync.reconciler.pipeline;

/** What applying one source change did. */
public enum Outcome {
  /** A canonical entity was created. */
  CREATED,
  /** A canonical entity (or its memberships) changed. */
  UPDATED,
  /** A managed entity was deprovisioned (deleted, deactivated or left scope). */
  DELETED,
  /** Nothing changed after mapping and conflict resolution: no event. */
  UNCHANGED,
  /** Out of scope and not managed: ignored. */
  SKIPPED_BY_FILTER,
  /** Older than the sourceVersion already applied: ignored and counted. */
  STALE,
  /** Matched several identities: held for an administrator. */
  DISPUTED,
  /** Could not be applied (malformed, foreign tenant): kept in failed_event. */
  FAILED,
  /** Held by a sync job until it completes within thresholds or is resumed. */
  STAGED,
  /** Already applied (redelivery) or carries nothing to apply. */
  IGNORED
}
