package dev.dsync.reconciler.directories;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A directory as the reconciler knows it: owning tenant, identity-event sequence, counters. */
@Entity
@Table(name = "directory_state")
public class DirectoryState extends PanacheEntityBase {
  @Id
  @Column(name = "directory_id")
  public String directoryId;

  @Column(name = "tenant_id")
  public String tenantId;

  public long sequence;
  public String name;
  public String status;

  @Column(name = "stale_count")
  public long staleCount;

  @Column(name = "updated_at")
  public Instant updatedAt;
}
