package dev.dsync.audit.ingest;

/** How the audited action ended, one vocabulary across every event type. */
public enum Outcome {
  /** Done as asked (including "nothing to do"). */
  SUCCESS,
  /** Tried and failed, or failed for now and will be retried. */
  FAILURE,
  /** Refused for lack of permission. */
  DENIED
}
