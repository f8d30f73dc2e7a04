package dev.dsync.reconciler.identities;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import java.time.Instant;
import java.util.UUID;

/** A canonical user of a tenant; {@code attributes} and {@code provenance} are JSON documents. */
@Entity
@Table(name = "canonical_user")
public class UserEntity extends PanacheEntityBase {
  @Id public UUID id;

  @Column(name = "tenant_id")
  public String tenantId;

  /** The directory that created it (events name the directory whose change caused them). */
  @Column(name = "directory_id")
  public String directoryId;

  @Column(name = "external_id")
  public String externalId;

  @Column(name = "user_name")
  public String userName;

  @Column(name = "primary_email")
  public String primaryEmail;

  @Column(name = "employee_number")
  public String employeeNumber;

  public String state;
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
  public String provenance;

  @Column(name = "delete_after")
  public Instant deleteAfter;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "updated_at")
  public Instant updatedAt;

  /** Advanced by every update; an update checks the version it read (see migration V6). */
  @Column(name = "row_version")
  public long rowVersion;
}
