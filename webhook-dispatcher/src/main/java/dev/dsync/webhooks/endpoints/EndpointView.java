package dev.dsync.webhooks.endpoints;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** An endpoint as the API shows it; {@code secret} only in the answer to its creation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EndpointView(
    UUID id,
    String url,
    String description,
    List<String> eventTypes,
    List<String> directoryIds,
    boolean enabled,
    String disabledReason,
    Integer rateLimit,
    Instant previousSecretExpiresAt,
    Instant createdAt,
    Instant updatedAt,
    String secret) {

  static EndpointView of(Endpoint e, String secret) {
    return new EndpointView(
        e.id,
        e.url,
        e.description,
        e.eventTypeList(),
        e.directoryIdList(),
        e.enabled,
        e.disabledReason,
        e.rateLimit,
        e.previousSecretExpiresAt,
        e.createdAt,
        e.updatedAt,
        secret);
  }

  /** A signing secret as shown to the endpoint's administrator. */
  public record SecretView(String secret, Instant previousSecretExpiresAt) {}

  /** Body of a rotation: optionally the new secret to use. */
  public record RotateRequest(String secret) {}
}
