package dev.dsync.reconciler.rules;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

/** One immutable version of a directory's rules. */
@Entity
@Table(name = "rules_version")
@IdClass(RulesVersion.Key.class)
public class RulesVersion extends PanacheEntityBase {
  @Id
  @Column(name = "directory_id")
  public String directoryId;

  @Id public int version;

  @Column(name = "tenant_id")
  public String tenantId;

  public String document;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "created_by")
  public String createdBy;

  /** Composite primary key. */
  public static class Key implements Serializable {
    public String directoryId;
    public int version;

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.version == version && Objects.equals(k.directoryId, directoryId);
    }

    @Override
    public int hashCode() {
      return Objects.hash(directoryId, version);
    }
  }
}
