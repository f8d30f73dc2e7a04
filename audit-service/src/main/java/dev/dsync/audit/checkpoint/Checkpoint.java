package dev.dsync.audit.checkpoint;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A recorded chain head of one tenant; its id is the ce_id of the published checkpoint event. */
@Entity
@Table(name = "audit_checkpoint")
public class Checkpoint extends PanacheEntityBase {

  /** Why a checkpoint was taken. */
  public enum Reason {
    /** The periodic anchor of a head that moved. */
    PERIODIC,
    /** Taken before retention deletes the records up to and including its position. */
    RETENTION
  }

  @Id public UUID id;

  @Column(name = "tenant_id")
  public String tenantId;

  @Column(name = "head_position")
  public long headPosition;

  @Column(name = "head_hash")
  public String headHash;

  @Column(name = "record_count")
  public long recordCount;

  @Enumerated(EnumType.STRING)
  public Reason reason;

  @Column(name = "created_at")
  public Instant createdAt;
}
