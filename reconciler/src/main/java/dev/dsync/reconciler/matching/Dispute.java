package dev.dsync.reconciler.matching;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A source user that matched several canonical identities, held with the change until an admin decides. */
@Entity
@Table(name = "dispute")
public class Dispute extends PanacheEntityBase {
  @Id public UUID id;

  @Column(name = "tenant_id")
  public String tenantId;

  @Column(name = "directory_id")
  public String directoryId;

  @Column(name = "resource_id")
  public String resourceId;

  /** JSON array of candidate identity ids. */
  public String candidates;

  @Column(name = "event_type")
  public String eventType;

  public String payload;
  public String status;
  public String resolution;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "resolved_at")
  public Instant resolvedAt;

  @Column(name = "resolved_by")
  public String resolvedBy;
}
