package dev.dsync.reconciler.pipeline;

import dev.dsync.platform.errors.ProblemException;

/**
 * A row this transaction read was changed by another transaction before this one wrote it. The
 * transaction is rolled back; run again, it reads the row as it is now. Not a poison change: the
 * pipeline retries, and an admin API retries a few times before it answers 409.
 */
public final class ConcurrentUpdateException extends ProblemException {

  public ConcurrentUpdateException(String detail) {
    super(409, "https://dsync.dev/problems/conflict", "Conflict", detail + "; retry", null);
  }
}
