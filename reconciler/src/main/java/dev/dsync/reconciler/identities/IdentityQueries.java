package dev.dsync.reconciler.identities;

import dev.dsync.events.identity.CanonicalGroup;
import dev.dsync.events.identity.CanonicalUser;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.reconciler.api.Page;
import dev.dsync.reconciler.config.ReconcilerConfig;
import dev.dsync.reconciler.conflicts.Provenance;
import dev.dsync.reconciler.conflicts.ProvenanceJson;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/** Read side of the canonical model, always scoped to the caller's tenant. */
@ApplicationScoped
public class IdentityQueries {

  /** A source feeding an entity. */
  public record LinkView(String directoryId, String resourceId, long sourceVersion, boolean inScope) {}

  /** One user with provenance, sources, direct and effective (nested) groups. */
  public record UserDetail(
      CanonicalUser user, Map<String, Provenance> provenance, List<LinkView> sources, List<String> groups, List<String> effectiveGroups) {}

  /** A direct member of a group; {@code cyclic} marks a group-in-group edge that closes a cycle. */
  public record MemberView(String type, String id, String resourceId, boolean cyclic) {}

  /** One group with its direct members and the cycles found among its nested groups. */
  public record GroupDetail(CanonicalGroup group, List<MemberView> members, boolean cycleDetected) {}

  private final ReconcilerConfig config;

  public IdentityQueries(ReconcilerConfig config) {
    this.config = config;
  }

  @WithSession
  public Uni<Page<CanonicalUser>> users(
      String tenantId, String directoryId, String userName, String email, String state, String cursor, int limit) {
    int size = size(limit);
    StringBuilder q = new StringBuilder("tenantId = :t and deleted = false");
    Parameters p = Parameters.with("t", tenantId);
    if (directoryId != null) {
      q.append(" and id in (select l.entityId from SourceLink l where l.directoryId = :d and l.kind = 'User')");
      p.and("d", directoryId);
    }
    if (userName != null) {
      q.append(" and userName = :u");
      p.and("u", userName.toLowerCase(Locale.ROOT));
    }
    if (email != null) {
      q.append(" and primaryEmail = :e");
      p.and("e", email.toLowerCase(Locale.ROOT));
    }
    if (state != null) {
      q.append(" and state = :s");
      p.and("s", state.toUpperCase(Locale.ROOT));
    }
    if (cursor != null) {
      q.append(" and id > :c");
      p.and("c", parseCursor(cursor));
    }
    return UserEntity.<UserEntity>find(q.append(" order by id").toString(), p)
        .range(0, size)
        .list()
        .map(rows -> {
          var items = rows.stream().limit(size).map(u -> withoutRaw(IdentityEvents.user(u, u.directoryId))).toList();
          return new Page<>(items, rows.size() > size ? items.get(items.size() - 1).id() : null);
        });
  }

  @WithSession
  public Uni<UserDetail> user(String tenantId, UUID id) {
    return UserEntity.<UserEntity>findById(id)
        .chain(u -> {
          if (u == null || u.deleted || !u.tenantId.equals(tenantId)) {
            throw ProblemException.notFound("identity", id.toString());
          }
          return SourceLink.<SourceLink>list("entityId = ?1 order by directoryId", id)
              .chain(links -> strings(
                      "select distinct cast(m.group_id as text) from membership m where m.member_id = :u"
                          + " and m.member_type = 'User' and m.group_id is not null order by 1", id)
                  .chain(direct -> strings(
                          // UNION drops rows already found, so a cycle among groups ends the recursion.
                          "with recursive eff(gid) as (select m.group_id from membership m where m.member_id = :u"
                              + " and m.member_type = 'User' and m.group_id is not null union select p.group_id from membership p"
                              + " join eff on p.member_id = eff.gid where p.member_type = 'Group' and p.group_id is not null)"
                              + " select cast(gid as text) from eff order by 1", id)
                      .map(effective -> new UserDetail(
                          IdentityEvents.user(u, u.directoryId),
                          ProvenanceJson.read(u.provenance),
                          links.stream().map(l -> new LinkView(l.directoryId, l.resourceId, l.sourceVersion, l.inScope)).toList(),
                          direct,
                          effective))));
        });
  }

  @WithSession
  public Uni<Page<CanonicalGroup>> groups(String tenantId, String directoryId, String displayName, String cursor, int limit) {
    int size = size(limit);
    StringBuilder q = new StringBuilder("tenantId = :t and deleted = false");
    Parameters p = Parameters.with("t", tenantId);
    if (directoryId != null) {
      q.append(" and directoryId = :d");
      p.and("d", directoryId);
    }
    if (displayName != null) {
      q.append(" and displayName = :n");
      p.and("n", displayName);
    }
    if (cursor != null) {
      q.append(" and id > :c");
      p.and("c", parseCursor(cursor));
    }
    return GroupEntity.<GroupEntity>find(q.append(" order by id").toString(), p)
        .range(0, size)
        .list()
        .map(rows -> {
          var items = rows.stream().limit(size).map(g -> IdentityEvents.group(g)).toList();
          return new Page<>(items, rows.size() > size ? items.get(items.size() - 1).id() : null);
        });
  }

  @WithSession
  public Uni<GroupDetail> group(String tenantId, UUID id) {
    return GroupEntity.<GroupEntity>findById(id)
        .chain(g -> {
          if (g == null || g.deleted || !g.tenantId.equals(tenantId)) {
            throw ProblemException.notFound("group", id.toString());
          }
          return Membership.<Membership>list("groupId = ?1 order by memberResourceId", id)
              .map(rows -> {
                var members = rows.stream()
                    .map(m -> new MemberView(m.memberType, m.memberId == null ? null : m.memberId.toString(), m.memberResourceId, m.cyclic))
                    .toList();
                return new GroupDetail(IdentityEvents.group(g), members, members.stream().anyMatch(MemberView::cyclic));
              });
        });
  }

  private static Uni<List<String>> strings(String sql, UUID id) {
    return Panache.getSession().chain(s -> s.createNativeQuery(sql, String.class).setParameter("u", id).getResultList());
  }

  private static CanonicalUser withoutRaw(CanonicalUser u) {
    return new CanonicalUser(u.id(), u.tenantId(), u.directoryId(), u.externalId(), u.userName(), u.givenName(), u.familyName(),
        u.displayName(), u.emails(), u.state(), u.attributes(), null);
  }

  private int size(int limit) {
    return limit <= 0 ? 50 : Math.min(limit, config.maxPageSize());
  }

  private static UUID parseCursor(String cursor) {
    try {
      return UUID.fromString(cursor);
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest("cursor is not one this API returned");
    }
  }
}
