package dev.dsync.reconciler.jobs;

/**
 * Observes a job being applied between two page commits: the moment a crash leaves a job half
 * applied. Tests use it to fail the apply there; the rest must be applied once, in order.
 */
public interface JobPageCheckpoint {

  /** Called after a page of {@code jobId} committed; {@code last}: the job is now COMPLETED. */
  void pageCommitted(String jobId, boolean last);
}
