package dev.dsync.reconciler.jobs;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import java.time.Instant;
import java.util.UUID;

/** A source change held by a job until it is applied (within thresholds or resumed) or discarded. */
@Entity
@Table(name = "staged_change")
public class StagedChange extends PanacheEntityBase {
  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  @Column(name = "job_id")
  public String jobId;

  @Column(name = "event_id")
  public UUID eventId;

  public String type;

  @Column(name = "resource_id")
  public String resourceId;

  /** The planned action (INSERTED, UPDATED, DELETED, UNCHANGED, ...), set when the job completes. */
  public String action;

  public String payload;

  @Column(name = "source_time")
  public Instant sourceTime;

  /** A batch row's changes ({@link StagedBatch}); null for a single change. */
  public byte[] batch;

  /**
   * Whether this change may be staged in a batch row (a running polled job's; a push hold's
   * changes are single rows, each with its planned action). Not stored.
   */
  @Transient public boolean batchable;

  /** Whether this change was read from a batch row (it shares the row's id). Not stored. */
  @Transient public boolean inBatchRow;
}
