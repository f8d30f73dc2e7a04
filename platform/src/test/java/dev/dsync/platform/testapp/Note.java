package dev.dsync.platform.testapp;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A tenant-owned row of the test app. */
@Entity
@Table(name = "note")
public class Note extends PanacheEntityBase {
  @Id public UUID id;

  @Column(name = "tenant_id")
  public String tenantId;

  public String text;

  @Column(name = "created_at")
  public Instant createdAt;
}
