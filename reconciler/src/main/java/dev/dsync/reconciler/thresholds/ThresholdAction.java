package dev.dsync.reconciler.thresholds;

/** An action that thresholds count. */
public enum ThresholdAction {
  /** A canonical identity or group would be created. */
  INSERTED,
  /** One would change. */
  UPDATED,
  /** One would be deprovisioned (deleted, deactivated or leaving scope). */
  DELETED
}
