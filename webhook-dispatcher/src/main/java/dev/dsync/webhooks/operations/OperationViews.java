package dev.dsync.webhooks.operations;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.dsync.events.webhook.WebhookAttempt;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** What the operations API shows and takes. */
public final class OperationViews {

  private OperationViews() {}

  /** A message (event) of the tenant. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record MessageView(UUID id, String eventType, String directoryId, Long sequence, Instant occurredAt, Instant createdAt) {}

  /** A message with the exact body sent and its delivery to each endpoint. */
  public record MessageDetail(MessageView message, @JsonRawValue String payload, List<DeliveryView> deliveries) {}

  /** A message's delivery to one endpoint. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DeliveryView(
      UUID messageId,
      UUID endpointId,
      String eventType,
      String status,
      int attempts,
      Instant nextAttemptAt,
      Integer lastHttpStatus,
      String lastError,
      Instant createdAt) {}

  /** One recorded HTTP attempt. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record AttemptView(
      UUID id,
      UUID messageId,
      UUID endpointId,
      int attempt,
      Instant attemptedAt,
      WebhookAttempt.Outcome outcome,
      Integer httpStatus,
      long latencyMs,
      String responseBody,
      String error,
      Instant nextAttemptAt) {}

  /** Redeliver every FAILED message of an endpoint created since a time. */
  public record RedeliverFailedRequest(String since) {}

  /** Replay a directory's events to an endpoint from a time and/or a sequence number. */
  public record ReplayRequest(String directoryId, String since, Long fromSequence) {}

  /** How many deliveries an operation scheduled. */
  public record Scheduled(int scheduled, UUID messageId) {}
}
