package dev.dsync.poller.jobs;

/** This replica no longer owns the job (its lease expired and another replica took it, or the connection was deleted). */
public class LeaseLostException extends RuntimeException {

  public LeaseLostException(String jobId) {
    super("lease on job " + jobId + " lost", null, false, false);
  }
}
