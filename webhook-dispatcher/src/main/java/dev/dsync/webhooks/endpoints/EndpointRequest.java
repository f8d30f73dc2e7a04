package dev.dsync.webhooks.endpoints;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * An endpoint as a client creates or replaces it. Empty filters mean "everything"; {@code secret}
 * (optional, create only) lets a client bring its own {@code whsec_} secret.
 */
public record EndpointRequest(
    @NotBlank @Size(max = 2048) String url,
    @Size(max = 500) String description,
    @Size(max = 50) List<@NotBlank @Size(max = 100) String> eventTypes,
    @Size(max = 200) List<@NotBlank @Size(max = 100) String> directoryIds,
    Boolean enabled,
    @Min(1) @Max(100000) Integer rateLimit,
    @Size(max = 200) String secret) {}
