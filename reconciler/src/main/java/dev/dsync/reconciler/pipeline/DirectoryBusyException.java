package dev.dsync.reconciler.pipeline;

import dev.dsync.platform.errors.ProblemException;

/**
 * The directory is applying a sync job page by page: nothing else of it may be applied in between.
 * The pipeline retries (the job is finished first); an admin API answers 409.
 */
public class DirectoryBusyException extends ProblemException {

  public DirectoryBusyException(String directoryId, String jobId) {
    super(409, "https://dsync.dev/problems/conflict", "Conflict",
        "directory " + directoryId + " is applying sync job " + jobId + "; retry once it is COMPLETED", null);
  }
}
