package dev.dsync.reconciler.jobs;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A sync job: a polled sync, or a push directory's paused window. Counters and plan are JSON. */
@Entity
@Table(name = "sync_job")
public class SyncJob extends PanacheEntityBase {
  @Id public String id;

  @Column(name = "tenant_id")
  public String tenantId;

  @Column(name = "directory_id")
  public String directoryId;

  @Column(name = "connection_id")
  public String connectionId;

  public String mode;
  public String kind;
  public String status;
  public String counters;
  public String planned;
  public String reason;

  @Column(name = "started_at")
  public Instant startedAt;

  @Column(name = "completed_at")
  public Instant completedAt;

  @Column(name = "decided_at")
  public Instant decidedAt;

  @Column(name = "decided_by")
  public String decidedBy;

  /** When the reconciler read the job's first event: orders a directory's jobs as they arrived. */
  @Column(name = "received_at")
  public Instant receivedAt;

  /** When the reconciler planned the job (checked it against the thresholds). */
  @Column(name = "planned_at")
  public Instant plannedAt;

  /** When the reconciler finished applying the job. */
  @Column(name = "applied_at")
  public Instant appliedAt;
}
