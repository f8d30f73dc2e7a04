package dev.dsync.reconciler.identities;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** Links a source resource of a directory to the canonical entity it feeds. */
@Entity
@Table(name = "source_link")
public class SourceLink extends PanacheEntityBase {
  public static final String USER = "User";
  public static final String GROUP = "Group";

  @Id public String id;

  @Column(name = "directory_id")
  public String directoryId;

  public String kind;

  @Column(name = "resource_id")
  public String resourceId;

  @Column(name = "tenant_id")
  public String tenantId;

  @Column(name = "entity_id")
  public UUID entityId;

  @Column(name = "source_version")
  public long sourceVersion;

  /** Hash of the mapped values last applied, so a staged job can tell updates from no-ops cheaply. */
  @Column(name = "content_hash")
  public String contentHash;

  /** False once the resource left scope or was deleted at the source: no longer managed. */
  @Column(name = "in_scope")
  public boolean inScope;

  @Column(name = "updated_at")
  public Instant updatedAt;

  public static String key(String directoryId, String kind, String resourceId) {
    return directoryId + "|" + kind + "|" + resourceId;
  }
}
