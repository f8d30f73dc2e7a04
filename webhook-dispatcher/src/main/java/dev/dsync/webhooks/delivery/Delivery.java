package dev.dsync.webhooks.delivery;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** The delivery of one message to one endpoint: its state in the attempt schedule. */
@Entity
@Table(name = "delivery")
public class Delivery extends PanacheEntityBase {

  /** Where a delivery stands. */
  public enum Status {
    /** Waiting for its next attempt (or being attempted under a lease). */
    PENDING,
    /** The endpoint answered 2xx. */
    SUCCEEDED,
    /** Retries exhausted, or the endpoint was disabled; only a redelivery sends it again. */
    FAILED
  }

  @Id public UUID id;

  @Column(name = "tenant_id")
  public String tenantId;

  @Column(name = "message_id")
  public UUID messageId;

  @Column(name = "endpoint_id")
  public UUID endpointId;

  @Enumerated(EnumType.STRING)
  public Status status;

  public int attempts;

  @Column(name = "schedule_base")
  public int scheduleBase;

  @Column(name = "next_attempt_at")
  public Instant nextAttemptAt;

  @Column(name = "claim_id")
  public UUID claimId;

  @Column(name = "last_http_status")
  public Integer lastHttpStatus;

  @Column(name = "last_error")
  public String lastError;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "updated_at")
  public Instant updatedAt;

  /** A new delivery, due at {@code dueAt}. */
  public static Delivery pending(String tenantId, UUID messageId, UUID endpointId, Instant now, Instant dueAt) {
    Delivery d = new Delivery();
    d.id = UUID.randomUUID();
    d.tenantId = tenantId;
    d.messageId = messageId;
    d.endpointId = endpointId;
    d.status = Status.PENDING;
    d.nextAttemptAt = dueAt;
    d.createdAt = now;
    d.updatedAt = now;
    return d;
  }
}
