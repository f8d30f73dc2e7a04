package dev.dsync.reconciler.identities;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import java.time.Instant;
import java.util.UUID;

/** A canonical group of a tenant (groups are not correlated across directories). */
@Entity
@Table(name = "canonical_group")
public class GroupEntity extends PanacheEntityBase {
  @Id public UUID id;

  @Column(name = "tenant_id")
  public String tenantId;

  @Column(name = "directory_id")
  public String directoryId;

  @Column(name = "external_id")
  public String externalId;

  @Column(name = "display_name")
  public String displayName;

  public boolean deleted;
  public String attributes;
  public String raw;

  /**
   * {@code attributes} and {@code raw} as the pipeline last wrote them (null: read from the row), so
   * the events of a change it just made do not parse back what it has just serialized.
   */
  @Transient public java.util.Map<String, Object> writtenAttributes;

  @Transient public com.fasterxml.jackson.databind.JsonNode writtenRaw;

  /** The JSON its events last carried (see {@link EntityJson}). */
  @Transient EntityJson json;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "updated_at")
  public Instant updatedAt;
}
