package dev.dsync.reconciler.jobs;

/** Where a job's changes come from. */
public enum JobKind {
  /** A polled sync announced by the source (started, changes, completed). */
  POLLED,
  /** Changes of a push (SCIM) directory held because its rolling window was exceeded or it was paused. */
  PUSH
}
