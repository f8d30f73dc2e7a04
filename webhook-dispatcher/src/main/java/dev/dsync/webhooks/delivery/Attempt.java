package dev.dsync.webhooks.delivery;

import dev.dsync.events.webhook.WebhookAttempt;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One HTTP attempt of a delivery, as recorded (and published on dsync.webhook.attempts). */
@Entity
@Table(name = "attempt")
public class Attempt extends PanacheEntityBase {

  @Id public UUID id;

  @Column(name = "tenant_id")
  public String tenantId;

  @Column(name = "delivery_id")
  public UUID deliveryId;

  @Column(name = "message_id")
  public UUID messageId;

  @Column(name = "endpoint_id")
  public UUID endpointId;

  @Column(name = "attempt_no")
  public int attemptNo;

  @Column(name = "attempted_at")
  public Instant attemptedAt;

  @Enumerated(EnumType.STRING)
  public WebhookAttempt.Outcome outcome;

  @Column(name = "http_status")
  public Integer httpStatus;

  @Column(name = "latency_ms")
  public long latencyMs;

  @Column(name = "response_body")
  public String responseBody;

  public String error;

  @Column(name = "next_attempt_at")
  public Instant nextAttemptAt;
}
