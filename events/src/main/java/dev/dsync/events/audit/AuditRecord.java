package dev.dsync.events.audit;

import dev.dsync.events.Actor;
import java.time.Instant;
import java.util.Map;

/**
 * An administrative action: who did what to which resource, and how it ended. {@code details}
 * never holds secrets (tokens, credentials, webhook secrets).
 */
public record AuditRecord(
    Actor actor,
    String action,
    String targetType,
    String targetId,
    Outcome outcome,
    Instant occurredAt,
    Map<String, Object> details) {

  /** How the action ended. */
  public enum Outcome {
    /** Done. */
    SUCCESS,
    /** Tried and failed. */
    FAILURE,
    /** Refused for lack of permission. */
    DENIED
  }
}
