package dev.dsync.reconciler.jobs;

/** Where a sync job stands. */
public enum JobStatus {
  /** Started; its changes are being staged. */
  RUNNING,
  /**
   * Decided (within thresholds, or resumed by an administrator): its staged changes are being
   * applied, a page per transaction; the directory takes no other change until it is COMPLETED.
   */
  APPLYING,
  /** Applied (within thresholds, or resumed by an administrator). */
  COMPLETED,
  /** Over a threshold (or behind a blocked job): nothing applied, waiting for resume or cancel. */
  BLOCKED,
  /** Discarded by an administrator: none of its changes were applied. */
  CANCELLED,
  /** The source reported failure: its staged changes were discarded. */
  FAILED
}
