package dev.dsync.reconciler.pipeline;

/** A source change that can never be applied (malformed, foreign tenant): recorded, counted, not retried. */
public class RejectedChange extends RuntimeException {
  public RejectedChange(String reason) {
    super(reason, null, false, false);
  }
}
