package dev.dsync.reconciler.identities;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.UUID;

/**
 * A direct membership as the source names it; canonical ids are set once both ends are known.
 * {@code cyclic} marks a group-in-group edge that closes a cycle: kept and reported, never followed.
 */
@Entity
@Table(name = "membership")
public class Membership extends PanacheEntityBase {
  @Id public String id;

  @Column(name = "directory_id")
  public String directoryId;

  @Column(name = "tenant_id")
  public String tenantId;

  @Column(name = "group_resource_id")
  public String groupResourceId;

  @Column(name = "member_resource_id")
  public String memberResourceId;

  @Column(name = "member_type")
  public String memberType;

  @Column(name = "group_id")
  public UUID groupId;

  @Column(name = "member_id")
  public UUID memberId;

  /** True once user_added was published (false again never: a removal deletes the row). */
  public boolean emitted;

  public boolean cyclic;

  public static String key(String directoryId, String groupResourceId, String memberResourceId) {
    return directoryId + "|" + groupResourceId + "|" + memberResourceId;
  }
}
