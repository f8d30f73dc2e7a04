package dev.dsync.webhooks.messages;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One event as a webhook message: its id is the webhook-id, its payload the exact bytes signed. */
@Entity
@Table(name = "message")
public class WebhookMessage extends PanacheEntityBase {

  @Id public UUID id;

  @Column(name = "tenant_id")
  public String tenantId;

  @Column(name = "directory_id")
  public String directoryId;

  @Column(name = "event_type")
  public String eventType;

  public Long sequence;

  @Column(name = "occurred_at")
  public Instant occurredAt;

  public String payload;

  @Column(name = "created_at")
  public Instant createdAt;
}
