package dev.dsync.events.webhook;

import java.time.Instant;

/** One HTTP delivery attempt of one message to one endpoint. */
public record WebhookAttempt(
    String endpointId,
    String messageId,
    String eventType,
    int attempt,
    Instant attemptedAt,
    Outcome outcome,
    Integer httpStatus,
    long latencyMs,
    String error,
    Instant nextAttemptAt) {

  /** How the attempt ended. */
  public enum Outcome {
    /** The endpoint answered 2xx in time. */
    SUCCEEDED,
    /** It failed; another attempt is scheduled at nextAttemptAt. */
    RETRYING,
    /** It failed and the retry schedule is exhausted. */
    FAILED,
    /** The endpoint answered 410 Gone or was disabled; no more attempts. */
    ENDPOINT_DISABLED
  }
}
