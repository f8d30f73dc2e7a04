package dev.dsync.webhooks.endpoints;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.dsync.events.EventJson;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A tenant's webhook endpoint: where to send, what to send, and its sealed signing secrets. */
@Entity
@Table(name = "endpoint")
public class Endpoint extends PanacheEntityBase {

  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

  @Id public UUID id;

  @Column(name = "tenant_id")
  public String tenantId;

  public String url;
  public String description;

  @Column(name = "event_types")
  public String eventTypes;

  @Column(name = "directory_ids")
  public String directoryIds;

  public boolean enabled;

  @Column(name = "disabled_reason")
  public String disabledReason;

  @Column(name = "rate_limit")
  public Integer rateLimit;

  public byte[] secret;

  @Column(name = "previous_secret")
  public byte[] previousSecret;

  @Column(name = "previous_secret_expires_at")
  public Instant previousSecretExpiresAt;

  @Column(name = "failing_since")
  public Instant failingSince;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "updated_at")
  public Instant updatedAt;

  public List<String> eventTypeList() {
    return strings(eventTypes);
  }

  public List<String> directoryIdList() {
    return strings(directoryIds);
  }

  public void eventTypeList(List<String> types) {
    eventTypes = EventJson.write(types == null ? List.of() : types);
  }

  public void directoryIdList(List<String> ids) {
    directoryIds = EventJson.write(ids == null ? List.of() : ids);
  }

  /** Whether an event of this type and directory goes to this endpoint (empty filter = all). */
  public boolean subscribes(String eventType, String directoryId) {
    List<String> types = eventTypeList();
    List<String> directories = directoryIdList();
    return (types.isEmpty() || types.contains(eventType))
        && (directories.isEmpty() || (directoryId != null && directories.contains(directoryId)));
  }

  private static List<String> strings(String json) {
    if (json == null || json.isBlank()) {
      return List.of();
    }
    try {
      return EventJson.mapper().readValue(json, STRINGS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
