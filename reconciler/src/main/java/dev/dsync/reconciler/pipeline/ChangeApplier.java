package dev.dsync.reconciler.pipeline;

import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.TimeOrderedIds;
import dev.dsync.events.source.GroupDeleted;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.GroupUpserted;
import dev.dsync.events.source.MemberRef;
import dev.dsync.events.source.UserDeleted;
import dev.dsync.events.source.UserUpserted;
import dev.dsync.reconciler.conflicts.ConflictResolver;
import dev.dsync.reconciler.conflicts.ProvenanceJson;
import dev.dsync.reconciler.conflicts.ConflictRules;
import dev.dsync.reconciler.identities.GroupEntity;
import dev.dsync.reconciler.identities.IdentityEvents;
import dev.dsync.reconciler.identities.Membership;
import dev.dsync.reconciler.identities.SourceLink;
import dev.dsync.reconciler.identities.UserEntity;
import dev.dsync.reconciler.mapping.Mapper;
import dev.dsync.reconciler.matching.Dispute;
import dev.dsync.reconciler.matching.MatchDecision;
import dev.dsync.reconciler.matching.MatchKey;
import dev.dsync.reconciler.matching.MatchOutcome;
import dev.dsync.reconciler.rules.DeprovisioningPolicy;
import dev.dsync.reconciler.thresholds.ThresholdAction;
import io.vertx.mutiny.sqlclient.Tuple;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Applies one source change to the canonical model of a locked directory: map, filter, match,
 * resolve conflicts, then persist and emit. Runs inside the caller's transaction.
 */
@ApplicationScoped
public class ChangeApplier {

  /** Staged type of a complete sync's deletion of a user or group it did not see. */
  public static final String UNSEEN_USER = "dsync.reconciler.unseen.user";

  public static final String UNSEEN_GROUP = "dsync.reconciler.unseen.group";

  /** An administrator's decision for a disputed change. */
  public record Resolution(UUID linkTo) {
    public static Resolution createNew() {
      return new Resolution(null);
    }
  }

  public Uni<Outcome> apply(DirectoryTx tx, SourceChange c) {
    return switch (c.type()) {
      case SOURCE_USER_UPSERTED -> upsertUser(tx, c, c.data(UserUpserted.class), null);
      case SOURCE_USER_DELETED -> deleteUser(tx, c.data(UserDeleted.class));
      case SOURCE_GROUP_UPSERTED -> upsertGroup(tx, c.data(GroupUpserted.class));
      case SOURCE_GROUP_DELETED -> deleteGroup(tx, c.data(GroupDeleted.class));
      case SOURCE_GROUP_MEMBERSHIP_CHANGED -> membership(tx, c.data(GroupMembershipChanged.class));
      default -> Uni.createFrom().item(Outcome.IGNORED);
    };
  }

  /** Deprovisions a resource a complete sync did not list. */
  public Uni<Outcome> applyUnseen(DirectoryTx tx, String type, String resourceId) {
    boolean user = UNSEEN_USER.equals(type);
    return link(tx, SourceLink.key(tx.directoryId, user ? SourceLink.USER : SourceLink.GROUP, resourceId))
        .chain(
            link -> {
              if (link == null || !link.inScope) {
                return Uni.createFrom().item(Outcome.UNCHANGED);
              }
              return user ? deprovision(tx, link) : removeGroup(tx, link);
            });
  }

  // ---------------------------------------------------------------- users

  public Uni<Outcome> upsertUser(DirectoryTx tx, SourceChange c, UserUpserted u, Resolution forced) {
    if (u.resourceId() == null || u.resource() == null) {
      throw new RejectedChange("user upsert without resourceId or resource");
    }
    return link(tx, SourceLink.key(tx.directoryId, SourceLink.USER, u.resourceId()))
        .chain(
            link -> {
              if (link != null && u.sourceVersion() < link.sourceVersion) {
                tx.staleSeen();
                return Uni.createFrom().item(Outcome.STALE);
              }
              Map<String, Object> mapped = tx.mappedUser(u.resource());
              boolean managedHere = link != null && link.inScope;
              return rememberForGroupScope(tx, c, u)
                  .chain(() -> inGroupScope(tx, u.resourceId()))
                  .chain(
                      inGroups -> {
                        if (!inGroups || !tx.rules.scope().inScope(u.resource()) || deletedByPolicy(tx, mapped)) {
                          if (link != null) {
                            link.sourceVersion = u.sourceVersion();
                            tx.store.save(link);
                          }
                          return managedHere ? deprovision(tx, link) : Uni.createFrom().item(Outcome.SKIPPED_BY_FILTER);
                        }
                        Uni<UserEntity> existing = link == null ? Uni.createFrom().nullItem() : tx.store.user(link.entityId);
                        return existing.chain(
                            user -> {
                              if (user == null || user.deleted) {
                                return correlate(tx, c, u, mapped, link, forced);
                              }
                              return update(tx, link, user, u, mapped, false);
                            });
                      });
            });
  }

  // ---------------------------------------------------------------- group scope

  /** Under a group scope, keeps the user's latest source change so it can be provisioned when it joins a scoped group. */
  private Uni<Void> rememberForGroupScope(DirectoryTx tx, SourceChange c, UserUpserted u) {
    if (tx.rules.scope().groups().isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return tx.store.connection()
        .preparedQuery(
            "insert into source_user (directory_id, resource_id, source_version, payload) values ($1, $2, $3, $4)"
                + " on conflict (directory_id, resource_id) do update set source_version = excluded.source_version,"
                + " payload = excluded.payload where source_user.source_version <= excluded.source_version")
        .execute(Tuple.of(tx.directoryId, u.resourceId(), u.sourceVersion(), c.json()))
        .replaceWithVoid();
  }

  /** True when the directory's scope names no groups, or the user is a direct member of one of them. */
  private Uni<Boolean> inGroupScope(DirectoryTx tx, String userResourceId) {
    List<String> groups = tx.rules.scope().groups();
    if (groups.isEmpty()) {
      return Uni.createFrom().item(true);
    }
    return tx.store
        .query(
            "select count(*) from membership where directory_id = $1 and member_resource_id = $2"
                + " and member_type = 'User' and group_resource_id = any($3)",
            tx.directoryId, userResourceId, groups.toArray(String[]::new))
        .map(rows -> rows.iterator().next().getLong(0) > 0);
  }

  /**
   * A user's membership of a scoped group changed: one entering scope is provisioned from its
   * latest source change, one no longer in any scoped group is deprovisioned per policy.
   */
  private Uni<Void> rescope(DirectoryTx tx, String userResourceId) {
    return inGroupScope(tx, userResourceId)
        .chain(
            in ->
                link(tx, SourceLink.key(tx.directoryId, SourceLink.USER, userResourceId))
                    .chain(
                        link -> {
                          boolean managed = link != null && link.inScope;
                          if (!in && managed) {
                            return deprovision(tx, link).invoke(tx.counters::add).replaceWithVoid();
                          }
                          if (!in || managed) {
                            return Uni.createFrom().voidItem();
                          }
                          return tx.store.connection()
                              .preparedQuery("select payload from source_user where directory_id = $1 and resource_id = $2")
                              .execute(Tuple.of(tx.directoryId, userResourceId))
                              .chain(
                                  rows -> {
                                    if (rows.size() == 0) {
                                      return Uni.createFrom().voidItem(); // the user itself has not arrived yet
                                    }
                                    SourceChange c =
                                        SourceChange.of(
                                            UUID.randomUUID(), EventType.SOURCE_USER_UPSERTED.type(), tx.tenantId, tx.directoryId,
                                            rows.iterator().next().getString(0));
                                    return upsertUser(tx, c, c.data(UserUpserted.class), null).invoke(tx.counters::add).replaceWithVoid();
                                  });
                        }));
  }

  /** User members whose scope a change of {@code groupResourceId}'s members may change; none unless it is a scoped group. */
  private static List<String> rescoped(DirectoryTx tx, String groupResourceId, List<String> userResourceIds) {
    return tx.rules.scope().groups().contains(groupResourceId) ? userResourceIds.stream().distinct().toList() : List.of();
  }

  private static boolean deletedByPolicy(DirectoryTx tx, Map<String, Object> mapped) {
    return Boolean.FALSE.equals(mapped.get(Mapper.ACTIVE))
        && tx.rules.rules().deprovisioning().policy() == DeprovisioningPolicy.DELETE;
  }

  private Uni<Outcome> correlate(
      DirectoryTx tx, SourceChange c, UserUpserted u, Map<String, Object> mapped, SourceLink link, Resolution forced) {
    Uni<MatchDecision> decision;
    if (forced != null) {
      decision =
          Uni.createFrom()
              .item(
                  forced.linkTo() == null
                      ? new MatchDecision(MatchOutcome.NEW, null, List.of())
                      : new MatchDecision(MatchOutcome.MATCHED, null, List.of(forced.linkTo())));
    } else {
      decision = match(tx, mapped);
    }
    return decision.chain(
        d ->
            switch (d.outcome()) {
              case NEW -> create(tx, u, mapped, link);
              case MATCHED ->
                  tx.store.user(d.identityId())
                      .chain(
                          user -> {
                            if (user == null || user.deleted || !user.tenantId.equals(tx.tenantId)) {
                              return create(tx, u, mapped, link);
                            }
                            SourceLink l = link != null ? link : newLink(tx, SourceLink.USER, u.resourceId());
                            l.entityId = user.id;
                            tx.store.save(l);
                            return update(tx, l, user, u, mapped, true);
                          });
              case DISPUTED -> hold(tx, c, u, d);
            });
  }

  /**
   * Ordered correlation against the tenant's live identities not already fed by this directory:
   * the first key that finds anything decides. Candidates come from the page's prefetch (one query
   * for all its new users), corrected by what this transaction changed.
   */
  private Uni<MatchDecision> match(DirectoryTx tx, Map<String, Object> mapped) {
    Map<MatchKey, String> values = new LinkedHashMap<>();
    for (MatchKey key : tx.rules.rules().correlation()) {
      String value = key.valueIn(mapped);
      if (value != null) {
        values.putIfAbsent(key, value);
      }
    }
    Map<MatchKey, List<UUID>> found = MatchDecision.ordered();
    return Steps.forEach(List.copyOf(values.entrySet()), e -> tx.store
            .candidates(tx.tenantId, tx.directoryId, e.getKey(), e.getValue())
            .invoke(ids -> found.put(e.getKey(), ids)))
        .map(v -> MatchDecision.decide(found));
  }

  /** The correlation values of a user change, for the page's one candidate query. */
  static void correlationValues(DirectoryTx tx, Map<String, Object> mapped, Map<MatchKey, Set<String>> into) {
    for (MatchKey key : tx.rules.rules().correlation()) {
      String value = key.valueIn(mapped);
      if (value != null) {
        into.computeIfAbsent(key, k -> new HashSet<>()).add(value);
      }
    }
  }

  private Uni<Outcome> create(DirectoryTx tx, UserUpserted u, Map<String, Object> mapped, SourceLink link) {
    UserEntity user = new UserEntity();
    user.id = TimeOrderedIds.next();
    user.tenantId = tx.tenantId;
    user.directoryId = tx.directoryId;
    user.createdAt = Instant.now();
    user.updatedAt = user.createdAt;
    ConflictResolver.Merge merge =
        ConflictResolver.merge(Map.of(), Map.of(), mapped, tx.directoryId, u.sourceVersion(), u.sourceTime(), conflicts(tx));
    setAttributes(tx, user, merge, u);
    SourceLink l = link != null ? link : newLink(tx, SourceLink.USER, u.resourceId());
    l.entityId = user.id;
    linkApplied(tx, l, u.sourceVersion(), mapped);
    tx.store.insert(user);
    return Uni.createFrom().voidItem()
        .invoke(() -> IdentityEvents.user(tx, EventType.USER_CREATED, user, null, List.of()))
        .chain(() -> resolvePendingMembers(tx, u.resourceId(), SourceLink.USER, user.id))
        .replaceWith(Outcome.CREATED);
  }

  private Uni<Outcome> update(
      DirectoryTx tx, SourceLink link, UserEntity user, UserUpserted u, Map<String, Object> mapped, boolean newlyLinked) {
    ConflictResolver.Merge merge =
        ConflictResolver.merge(
            IdentityEvents.attributes(user.attributes),
            ProvenanceJson.read(user.provenance),
            mapped,
            tx.directoryId,
            u.sourceVersion(),
            u.sourceTime(),
            conflicts(tx));
    linkApplied(tx, link, u.sourceVersion(), mapped);
    String oldState = user.state;
    String before = user.attributes + user.provenance + user.raw + user.deleteAfter;
    setAttributes(tx, user, merge, u);
    if (!before.equals(user.attributes + user.provenance + user.raw + user.deleteAfter)) {
      tx.store.save(user); // provenance and raw move with every source version, even when no attribute changed
    }
    if (!merge.changed()) {
      return newlyLinked
          ? resolvePendingMembers(tx, u.resourceId(), SourceLink.USER, user.id).replaceWith(Outcome.UNCHANGED)
          : Uni.createFrom().item(Outcome.UNCHANGED);
    }
    user.updatedAt = Instant.now();
    Map<String, Object> previous = IdentityEvents.previousAttributes(merge.previous());
    if (!oldState.equals(user.state)) {
      previous.put("state", oldState);
    }
    tx.store.save(user);
    return tx.store.groupIds(user.id)
        .invoke(groups -> IdentityEvents.user(tx, EventType.USER_UPDATED, user, previous, groups))
        .chain(() -> newlyLinked ? resolvePendingMembers(tx, u.resourceId(), SourceLink.USER, user.id) : Uni.createFrom().voidItem())
        .replaceWith(Outcome.UPDATED);
  }

  private void setAttributes(DirectoryTx tx, UserEntity user, ConflictResolver.Merge merge, UserUpserted u) {
    Map<String, Object> a = java.util.Collections.unmodifiableMap(merge.attributes());
    user.attributes = EventJson.write(a);
    user.writtenAttributes = a;
    user.provenance = ProvenanceJson.write(merge.provenance());
    user.raw = EventJson.write(u.resource());
    user.writtenRaw = u.resource();
    user.externalId = text(a.get("externalId"));
    user.userName = lower(text(a.get("userName")));
    user.primaryEmail = lower(MatchKey.primaryEmail(a));
    user.employeeNumber = text(a.get("attributes.employeeNumber"));
    user.state = Boolean.FALSE.equals(a.get(Mapper.ACTIVE)) ? "INACTIVE" : "ACTIVE";
    if ("ACTIVE".equals(user.state)) {
      user.deleteAfter = null;
    } else if (user.deleteAfter == null
        && tx.rules.rules().deprovisioning().policy() == DeprovisioningPolicy.DEACTIVATE_THEN_DELETE) {
      user.deleteAfter = Instant.now().plus(tx.rules.rules().deprovisioning().gracePeriod());
    }
  }

  private Uni<Outcome> hold(DirectoryTx tx, SourceChange c, UserUpserted u, MatchDecision d) {
    String candidates = EventJson.write(d.candidates());
    Log.infof("user %s of directory %s matched %d identities on %s: disputed", u.resourceId(), tx.directoryId, d.candidates().size(), d.decidedBy());
    // One open dispute per source resource: a later change of it replaces the held one.
    return tx.store.connection()
        .preparedQuery(
            "update dispute set candidates = $3, payload = $4, event_type = $5 where directory_id = $1 and resource_id = $2 and status = 'OPEN'")
        .execute(Tuple.of(tx.directoryId, u.resourceId(), candidates, c.json(), c.type().type()))
        .chain(updated -> updated.rowCount() > 0
            ? Uni.createFrom().voidItem()
            : tx.store.connection()
                .preparedQuery(
                    "insert into dispute (id, tenant_id, directory_id, resource_id, candidates, event_type, payload, status, created_at)"
                        + " values ($1, $2, $3, $4, $5, $6, $7, 'OPEN', now())")
                .execute(Tuple.from(new Object[] {UUID.randomUUID(), tx.tenantId, tx.directoryId, u.resourceId(), candidates, c.type().type(), c.json()}))
                .replaceWithVoid())
        .replaceWith(Outcome.DISPUTED);
  }

  public Uni<Outcome> deleteUser(DirectoryTx tx, UserDeleted d) {
    Uni<Void> forget =
        tx.rules.scope().groups().isEmpty()
            ? Uni.createFrom().voidItem()
            : tx.store.connection()
                .preparedQuery("delete from source_user where directory_id = $1 and resource_id = $2 and source_version <= $3")
                .execute(Tuple.of(tx.directoryId, d.resourceId(), d.sourceVersion()))
                .replaceWithVoid();
    return forget.chain(() -> link(tx, SourceLink.key(tx.directoryId, SourceLink.USER, d.resourceId()))
        .chain(
            link -> {
              if (link == null) {
                return Uni.createFrom().item(Outcome.IGNORED);
              }
              if (d.sourceVersion() < link.sourceVersion) {
                tx.staleSeen();
                return Uni.createFrom().item(Outcome.STALE);
              }
              link.sourceVersion = d.sourceVersion();
              tx.store.save(link);
              return link.inScope ? deprovision(tx, link) : Uni.createFrom().item(Outcome.UNCHANGED);
            }));
  }

  /** A managed source user is gone or out of scope: apply the policy unless another directory still feeds the identity. */
  private Uni<Outcome> deprovision(DirectoryTx tx, SourceLink link) {
    link.inScope = false;
    link.contentHash = null;
    link.updatedAt = Instant.now();
    tx.store.save(link);
    return tx.store.user(link.entityId)
        .chain(
            user -> {
              if (user == null || user.deleted) {
                return Uni.createFrom().item(Outcome.DELETED);
              }
              return tx.store.query("select count(*) from source_link where entity_id = $1 and in_scope and id <> $2", user.id, link.id)
                  .map(rows -> rows.iterator().next().getLong(0))
                  .chain(
                      others -> {
                        if (others > 0) {
                          // Still fed by another directory. The user row is written all the same (its
                          // version advanced): two directories dropping the same user at once each saw
                          // the other's link, and neither deprovisioned it. Now the second to write
                          // fails, runs again, and sees no link left.
                          tx.store.save(user);
                          return Uni.createFrom().item(Outcome.DELETED);
                        }
                        DeprovisioningPolicy policy = tx.rules.rules().deprovisioning().policy();
                        return policy == DeprovisioningPolicy.DELETE ? hardDelete(tx, user) : deactivate(tx, user);
                      });
            });
  }

  private Uni<Outcome> deactivate(DirectoryTx tx, UserEntity user) {
    if ("INACTIVE".equals(user.state)) {
      return Uni.createFrom().item(Outcome.DELETED);
    }
    TreeMap<String, Object> attrs = IdentityEvents.attributes(user.attributes);
    attrs.put(Mapper.ACTIVE, false);
    user.attributes = EventJson.write(attrs);
    user.writtenAttributes = java.util.Collections.unmodifiableMap(attrs);
    user.state = "INACTIVE";
    user.updatedAt = Instant.now();
    if (tx.rules.rules().deprovisioning().policy() == DeprovisioningPolicy.DEACTIVATE_THEN_DELETE) {
      user.deleteAfter = Instant.now().plus(tx.rules.rules().deprovisioning().gracePeriod());
    }
    tx.store.save(user);
    Map<String, Object> previous = new HashMap<>();
    previous.put("state", "ACTIVE");
    return tx.store.groupIds(user.id)
        .invoke(groups -> IdentityEvents.user(tx, EventType.USER_UPDATED, user, previous, groups))
        .replaceWith(Outcome.DELETED);
  }

  /**
   * Deletes a canonical user: each of its published memberships ends with a
   * {@code dsync.group.user_removed} (so a consumer tracking groups needs no inference), then
   * {@code dsync.user.deleted}.
   */
  public Uni<Outcome> hardDelete(DirectoryTx tx, UserEntity user) {
    user.deleted = true;
    user.deleteAfter = null;
    user.updatedAt = Instant.now();
    tx.store.save(user);
    return tx.store.memberships("member_id = $1 and member_type = 'User' order by id", user.id)
        .chain(rows -> Steps.forEach(rows, row -> removeMember(tx, row)))
        .invoke(() -> IdentityEvents.user(tx, EventType.USER_DELETED, user, null, null))
        .replaceWith(Outcome.DELETED);
  }

  // ---------------------------------------------------------------- groups

  private Uni<Outcome> upsertGroup(DirectoryTx tx, GroupUpserted g) {
    if (g.resourceId() == null || g.resource() == null) {
      throw new RejectedChange("group upsert without resourceId or resource");
    }
    return link(tx, SourceLink.key(tx.directoryId, SourceLink.GROUP, g.resourceId()))
        .chain(
            link -> {
              if (link != null && g.sourceVersion() < link.sourceVersion) {
                tx.staleSeen();
                return Uni.createFrom().item(Outcome.STALE);
              }
              Map<String, Object> mapped = tx.rules.groups().map(g.resource());
              Uni<GroupEntity> existing = link == null ? Uni.createFrom().nullItem() : tx.store.group(link.entityId);
              return existing.chain(
                  group -> {
                    if (group == null || group.deleted) {
                      return createGroup(tx, g, mapped, link);
                    }
                    linkApplied(tx, link, g.sourceVersion(), mapped);
                    Map<String, Object> old = IdentityEvents.attributes(group.attributes);
                    if (old.equals(mapped)) {
                      return Uni.createFrom().item(Outcome.UNCHANGED);
                    }
                    Map<String, Object> previous = new HashMap<>();
                    Set<String> keys = new HashSet<>(old.keySet());
                    keys.addAll(mapped.keySet());
                    for (String k : keys) {
                      if (!Objects.equals(old.get(k), mapped.get(k))) {
                        previous.put(k, old.get(k));
                      }
                    }
                    setGroup(tx, group, g, mapped);
                    IdentityEvents.group(tx, EventType.GROUP_UPDATED, group, previous);
                    return Uni.createFrom().item(Outcome.UPDATED);
                  });
            });
  }

  private Uni<Outcome> createGroup(DirectoryTx tx, GroupUpserted g, Map<String, Object> mapped, SourceLink link) {
    GroupEntity group = new GroupEntity();
    group.id = TimeOrderedIds.next();
    group.tenantId = tx.tenantId;
    group.directoryId = tx.directoryId;
    group.createdAt = Instant.now();
    setGroup(tx, group, g, mapped);
    SourceLink l = link != null ? link : newLink(tx, SourceLink.GROUP, g.resourceId());
    l.entityId = group.id;
    linkApplied(tx, l, g.sourceVersion(), mapped);
    IdentityEvents.group(tx, EventType.GROUP_CREATED, group, null);
    return resolvePendingGroup(tx, g.resourceId(), group)
        .chain(() -> resolvePendingMembers(tx, g.resourceId(), SourceLink.GROUP, group.id))
        .replaceWith(Outcome.CREATED);
  }

  private static void setGroup(DirectoryTx tx, GroupEntity group, GroupUpserted g, Map<String, Object> mapped) {
    group.attributes = EventJson.write(mapped);
    group.writtenAttributes = java.util.Collections.unmodifiableMap(mapped);
    group.externalId = text(mapped.get("externalId"));
    group.displayName = text(mapped.get("displayName"));
    group.raw = EventJson.write(g.resource());
    group.writtenRaw = g.resource();
    group.updatedAt = Instant.now();
    tx.store.save(group);
  }

  private Uni<Outcome> deleteGroup(DirectoryTx tx, GroupDeleted d) {
    return link(tx, SourceLink.key(tx.directoryId, SourceLink.GROUP, d.resourceId()))
        .chain(
            link -> {
              if (link == null) {
                return Uni.createFrom().item(Outcome.IGNORED);
              }
              if (d.sourceVersion() < link.sourceVersion) {
                tx.staleSeen();
                return Uni.createFrom().item(Outcome.STALE);
              }
              link.sourceVersion = d.sourceVersion();
              tx.store.save(link);
              return link.inScope ? removeGroup(tx, link) : Uni.createFrom().item(Outcome.UNCHANGED);
            });
  }

  /**
   * Deletes a canonical group: each published membership of it ends with a
   * {@code dsync.group.user_removed} (as a user's deletion does), then {@code dsync.group.deleted};
   * its rows as a member of other groups go too. Users whose scope it was are rescoped.
   */
  private Uni<Outcome> removeGroup(DirectoryTx tx, SourceLink link) {
    link.inScope = false;
    link.contentHash = null;
    tx.store.save(link);
    return tx.store.group(link.entityId)
        .chain(
            group -> {
              if (group == null || group.deleted) {
                return Uni.createFrom().item(Outcome.DELETED);
              }
              List<String> members = new ArrayList<>();
              return tx.store
                  .memberships(
                      "directory_id = $1 and (group_resource_id = $2 or (member_resource_id = $2 and member_type = 'Group')) order by id",
                      tx.directoryId, link.resourceId)
                  .chain(rows -> Steps.forEach(rows, row -> {
                    if (row.groupResourceId.equals(link.resourceId) && SourceLink.USER.equals(row.memberType)) {
                      members.add(row.memberResourceId);
                    }
                    return removeMember(tx, row);
                  }))
                  .invoke(() -> {
                    group.deleted = true;
                    group.updatedAt = Instant.now();
                    tx.store.save(group);
                    IdentityEvents.group(tx, EventType.GROUP_DELETED, group, null);
                  })
                  .chain(() -> Steps.forEach(rescoped(tx, link.resourceId, members), id -> rescope(tx, id)))
                  .replaceWith(Outcome.DELETED);
            });
  }

  // ---------------------------------------------------------------- memberships

  private Uni<Outcome> membership(DirectoryTx tx, GroupMembershipChanged m) {
    if (m.groupId() == null) {
      throw new RejectedChange("membership change without groupId");
    }
    return link(tx, SourceLink.key(tx.directoryId, SourceLink.GROUP, m.groupId()))
        .chain(
            groupLink -> {
              if (groupLink != null && m.sourceVersion() < groupLink.sourceVersion) {
                tx.staleSeen();
                return Uni.createFrom().item(Outcome.STALE);
              }
              if (groupLink != null) {
                groupLink.sourceVersion = m.sourceVersion();
                tx.store.save(groupLink);
              }
              return currentMembers(tx, m).chain(current -> applyDelta(tx, m, groupLink, current));
            });
  }

  /**
   * The rows a membership change can touch: all of the group's for a replacement, otherwise only
   * those of the members it names (a delta of one member of a 100,000-member group reads one row).
   */
  private static Uni<List<Membership>> currentMembers(DirectoryTx tx, GroupMembershipChanged m) {
    if (m.replaced()) {
      return tx.store.memberships("directory_id = $1 and group_resource_id = $2", tx.directoryId, m.groupId());
    }
    List<String> ids = memberRowIds(tx, m);
    return tx.store.loadMemberships(ids).map(v -> {
      List<Membership> out = new ArrayList<>();
      for (String id : ids) {
        Membership row = tx.store.membership(id);
        if (row != null && !out.contains(row)) {
          out.add(row);
        }
      }
      return out;
    });
  }

  static List<String> memberRowIds(DirectoryTx tx, GroupMembershipChanged m) {
    List<String> ids = new ArrayList<>();
    for (List<MemberRef> refs : java.util.Arrays.asList(m.added(), m.removed())) {
      if (refs != null) {
        refs.stream().filter(r -> r.value() != null).forEach(r -> ids.add(Membership.key(tx.directoryId, m.groupId(), r.value())));
      }
    }
    return ids;
  }

  private Uni<Outcome> applyDelta(DirectoryTx tx, GroupMembershipChanged m, SourceLink groupLink, List<Membership> current) {
    Map<String, Membership> byMember = new LinkedHashMap<>();
    current.forEach(r -> byMember.put(r.memberResourceId, r));
    List<MemberRef> added = m.added() == null ? List.of() : m.added();
    Set<String> addedIds = new HashSet<>();
    added.forEach(r -> addedIds.add(r.value()));
    List<Membership> toRemove = new ArrayList<>();
    if (m.replaced()) {
      byMember.values().stream().filter(r -> !addedIds.contains(r.memberResourceId)).forEach(toRemove::add);
    }
    if (m.removed() != null) {
      for (MemberRef r : m.removed()) {
        Membership row = byMember.get(r.value());
        if (row != null && !toRemove.contains(row)) {
          toRemove.add(row);
        }
      }
    }
    List<MemberRef> toAdd = added.stream().filter(r -> r.value() != null && !byMember.containsKey(r.value())).distinct().toList();
    if (toAdd.isEmpty() && toRemove.isEmpty()) {
      return Uni.createFrom().item(Outcome.UNCHANGED);
    }
    List<String> users = new ArrayList<>();
    toRemove.stream().filter(r -> SourceLink.USER.equals(r.memberType)).forEach(r -> users.add(r.memberResourceId));
    toAdd.stream().filter(r -> !"Group".equals(r.type())).forEach(r -> users.add(r.value()));
    return Steps.forEach(toRemove, row -> removeMember(tx, row))
        .chain(() -> Steps.forEach(toAdd, ref -> addMember(tx, m.groupId(), groupLink, ref)))
        .chain(() -> Steps.forEach(rescoped(tx, m.groupId(), users), id -> rescope(tx, id)))
        .replaceWith(Outcome.UPDATED);
  }

  private Uni<Void> addMember(DirectoryTx tx, String groupResourceId, SourceLink groupLink, MemberRef ref) {
    String type = "Group".equals(ref.type()) ? SourceLink.GROUP : SourceLink.USER;
    Membership row = new Membership();
    row.id = Membership.key(tx.directoryId, groupResourceId, ref.value());
    row.directoryId = tx.directoryId;
    row.tenantId = tx.tenantId;
    row.groupResourceId = groupResourceId;
    row.memberResourceId = ref.value();
    row.memberType = type;
    row.groupId = groupLink != null && groupLink.inScope ? groupLink.entityId : null;
    Uni<Boolean> cyclic =
        SourceLink.GROUP.equals(type) ? closesCycle(tx, groupResourceId, ref.value()) : Uni.createFrom().item(false);
    return link(tx, SourceLink.key(tx.directoryId, type, ref.value()))
        .chain(
            memberLink -> {
              row.memberId = memberLink != null && memberLink.inScope ? memberLink.entityId : null;
              return cyclic;
            })
        .chain(
            cycle -> {
              row.cyclic = cycle;
              if (cycle) {
                tx.counters.cycle();
                Log.warnf("directory %s: group %s in group %s closes a cycle; kept and reported", tx.directoryId, ref.value(), groupResourceId);
              }
              tx.store.save(row);
              return emitAdded(tx, row);
            });
  }

  /** True if {@code groupResourceId} is already reachable below {@code memberGroupResourceId}. */
  private Uni<Boolean> closesCycle(DirectoryTx tx, String groupResourceId, String memberGroupResourceId) {
    if (groupResourceId.equals(memberGroupResourceId)) {
      return Uni.createFrom().item(true);
    }
    // UNION (not UNION ALL) discards rows already seen, so the recursion ends even on existing cycles.
    return tx.store
        .query(
            "with recursive below(id) as (select cast($1 as text) collate \"C\" union select m.member_resource_id from membership m"
                + " join below b on m.group_resource_id = b.id where m.directory_id = $2 and m.member_type = 'Group'"
                + " and not m.cyclic) select count(*) from below where id = $3",
            memberGroupResourceId, tx.directoryId, groupResourceId)
        .map(rows -> rows.iterator().next().getLong(0) > 0);
  }

  private Uni<Void> emitAdded(DirectoryTx tx, Membership row) {
    if (!SourceLink.USER.equals(row.memberType) || row.groupId == null || row.memberId == null || row.emitted) {
      return Uni.createFrom().voidItem();
    }
    row.emitted = true;
    tx.store.save(row);
    return membershipEvent(tx, EventType.GROUP_USER_ADDED, row.groupId, row.memberId);
  }

  private Uni<Void> removeMember(DirectoryTx tx, Membership row) {
    boolean emitted = row.emitted;
    UUID group = row.groupId;
    UUID user = row.memberId;
    tx.store.delete(row);
    return emitted ? membershipEvent(tx, EventType.GROUP_USER_REMOVED, group, user) : Uni.createFrom().voidItem();
  }

  private Uni<Void> membershipEvent(DirectoryTx tx, EventType type, UUID groupId, UUID userId) {
    return tx.store.group(groupId)
        .chain(g -> tx.store.user(userId).chain(u -> tx.store.groupIds(userId).invoke(groups -> {
          if (g != null && u != null) {
            IdentityEvents.membership(tx, type, g, u, groups);
          }
        })))
        .replaceWithVoid();
  }

  /** A member that became known: fill in its canonical id and publish the memberships now complete. */
  private Uni<Void> resolvePendingMembers(DirectoryTx tx, String resourceId, String type, UUID entityId) {
    return tx.store.membershipsOfMember(tx.directoryId, type, resourceId)
        .chain(rows -> Steps.forEach(rows, row -> {
          if (entityId.equals(row.memberId)) {
            return Uni.createFrom().voidItem();
          }
          row.memberId = entityId;
          row.emitted = false;
          tx.store.save(row);
          return emitAdded(tx, row);
        }));
  }

  private Uni<Void> resolvePendingGroup(DirectoryTx tx, String groupResourceId, GroupEntity group) {
    return tx.store.membershipsOfGroup(tx.directoryId, groupResourceId)
        .chain(rows -> Steps.forEach(rows, row -> {
          if (group.id.equals(row.groupId)) {
            return Uni.createFrom().voidItem();
          }
          row.groupId = group.id;
          row.emitted = false;
          tx.store.save(row);
          return emitAdded(tx, row);
        }));
  }

  // ---------------------------------------------------------------- planning

  /** What applying a change would do, for thresholds; null for changes thresholds do not count. */
  public Uni<ThresholdAction> classify(DirectoryTx tx, SourceChange c) {
    EventType t = c.type();
    String resourceId = Reconciler.resourceId(c);
    return switch (t) {
      case SOURCE_USER_UPSERTED -> {
        UserUpserted u = c.data(UserUpserted.class);
        yield inGroupScope(tx, u.resourceId()).chain(inGroups -> link(tx, SourceLink.key(tx.directoryId, SourceLink.USER, u.resourceId()))
            .chain(
                link -> {
                  if (link != null && u.sourceVersion() < link.sourceVersion) {
                    return Uni.createFrom().nullItem();
                  }
                  Map<String, Object> mapped = tx.mappedUser(u.resource());
                  boolean managed = link != null && link.inScope;
                  if (!inGroups || !tx.rules.scope().inScope(u.resource()) || deletedByPolicy(tx, mapped)) {
                    return Uni.createFrom().item(managed ? ThresholdAction.DELETED : null);
                  }
                  if (!managed) {
                    return Uni.createFrom().item(ThresholdAction.INSERTED);
                  }
                  if (hash(mapped).equals(link.contentHash)) {
                    return Uni.createFrom().nullItem();
                  }
                  if (!Boolean.FALSE.equals(mapped.get(Mapper.ACTIVE))) {
                    return Uni.createFrom().item(ThresholdAction.UPDATED);
                  }
                  // Deactivation is how Okta and Entra deprovision over SCIM: an active user turning
                  // inactive counts as a deletion, or a mass unassignment would pass every threshold.
                  return tx.store.user(link.entityId)
                      .map(user -> user != null && !user.deleted && "ACTIVE".equals(user.state) ? ThresholdAction.DELETED : ThresholdAction.UPDATED);
                }));
      }
      case SOURCE_GROUP_MEMBERSHIP_CHANGED -> {
        // A managed group whose members would change is an update of that group; the members of a
        // group created by the same job are part of its insert.
        GroupMembershipChanged m = c.data(GroupMembershipChanged.class);
        yield link(tx, SourceLink.key(tx.directoryId, SourceLink.GROUP, m.groupId()))
            .chain(
                link -> {
                  if (link == null || !link.inScope || m.sourceVersion() < link.sourceVersion) {
                    return Uni.createFrom().nullItem();
                  }
                  return currentMembers(tx, m).map(current -> membersChange(m, current) ? ThresholdAction.UPDATED : null);
                });
      }
      case SOURCE_GROUP_UPSERTED -> {
        GroupUpserted g = c.data(GroupUpserted.class);
        yield link(tx, SourceLink.key(tx.directoryId, SourceLink.GROUP, g.resourceId()))
            .map(
                link -> {
                  if (link == null || !link.inScope) {
                    return ThresholdAction.INSERTED;
                  }
                  return hash(tx.rules.groups().map(g.resource())).equals(link.contentHash) ? null : ThresholdAction.UPDATED;
                });
      }
      case SOURCE_USER_DELETED, SOURCE_GROUP_DELETED -> {
        String kind = t == EventType.SOURCE_USER_DELETED ? SourceLink.USER : SourceLink.GROUP;
        yield link(tx, SourceLink.key(tx.directoryId, kind, resourceId))
            .map(link -> link != null && link.inScope ? ThresholdAction.DELETED : null);
      }
      default -> Uni.createFrom().nullItem();
    };
  }

  /** Whether applying the delta would add or remove a member. */
  private static boolean membersChange(GroupMembershipChanged m, List<Membership> current) {
    Set<String> now = new HashSet<>();
    current.forEach(r -> now.add(r.memberResourceId));
    Set<String> added = new HashSet<>();
    if (m.added() != null) {
      m.added().stream().filter(r -> r.value() != null).forEach(r -> added.add(r.value()));
    }
    if (!now.containsAll(added)) {
      return true;
    }
    if (m.replaced() && !added.containsAll(now)) {
      return true;
    }
    return m.removed() != null && m.removed().stream().anyMatch(r -> now.contains(r.value()));
  }

  // ---------------------------------------------------------------- helpers

  private static ConflictRules conflicts(DirectoryTx tx) {
    return tx.rules.rules().conflicts();
  }

  /** The link of a source resource: from the transaction's store, or the database. */
  private static Uni<SourceLink> link(DirectoryTx tx, String key) {
    return tx.store.link(key);
  }

  /**
   * Reads, in a few queries, what a page of changes will look up: their links (and those of the
   * members they name), the linked users and groups, those users' group ids, the membership rows
   * of the members named, the rows naming users about to be created, and the correlation
   * candidates of those users. Without it each change cost several round trips.
   */
  public Uni<Void> prefetch(DirectoryTx tx, List<SourceChange> changes) {
    return prefetch(tx, changes, List.of(), true);
  }

  /** {@code moreLinks}: further link keys to read; {@code applying}: false when only planning (no correlation ahead). */
  public Uni<Void> prefetch(DirectoryTx tx, List<SourceChange> changes, List<String> moreLinks, boolean applying) {
    Set<String> keys = new LinkedHashSet<>(moreLinks);
    List<String> membershipRows = new ArrayList<>();
    for (SourceChange c : changes) {
      Object d = c.data();
      String resourceId = Reconciler.resourceId(c); // a membership change looks up its group's link
      if (resourceId != null) {
        boolean user = d instanceof UserUpserted || d instanceof UserDeleted;
        keys.add(SourceLink.key(tx.directoryId, user ? SourceLink.USER : SourceLink.GROUP, resourceId));
      }
      if (d instanceof GroupMembershipChanged m && m.groupId() != null) {
        for (List<MemberRef> refs : java.util.Arrays.asList(m.added(), m.removed())) {
          if (refs != null) {
            refs.stream().filter(r -> r.value() != null)
                .forEach(r -> keys.add(SourceLink.key(tx.directoryId, "Group".equals(r.type()) ? SourceLink.GROUP : SourceLink.USER, r.value())));
          }
        }
        if (!m.replaced()) {
          membershipRows.addAll(memberRowIds(tx, m));
        }
      }
    }
    return tx.store.loadLinks(keys)
        .chain(() -> {
          List<UUID> userIds = new ArrayList<>();
          List<UUID> groupIds = new ArrayList<>();
          for (String key : keys) {
            SourceLink l = tx.store.knownLink(key);
            if (l != null) {
              (SourceLink.USER.equals(l.kind) ? userIds : groupIds).add(l.entityId);
            }
          }
          Map<MatchKey, Set<String>> values = new HashMap<>();
          List<String> newUsers = new ArrayList<>();
          List<String> newGroups = new ArrayList<>();
          for (SourceChange c : changes) {
            if (applying && c.data() instanceof GroupUpserted g && g.resourceId() != null
                && tx.store.knownLink(SourceLink.key(tx.directoryId, SourceLink.GROUP, g.resourceId())) == null) {
              newGroups.add(g.resourceId()); // a new group takes over memberships that arrived before it
            }
            if (c.data() instanceof UserUpserted u && u.resourceId() != null && u.resource() != null) {
              String key = SourceLink.key(tx.directoryId, SourceLink.USER, u.resourceId());
              if (!keys.contains(key)) {
                continue;
              }
              if (applying && tx.store.knownLink(key) == null) {
                newUsers.add(u.resourceId());
                correlationValues(tx, tx.mappedUser(u.resource()), values);
              }
            }
          }
          // Independent reads, sent at once: the connection runs them back to back while the rows
          // of the first ones are taken in (one after another, each waited for the answer before).
          return Uni.join().all(List.of(
                  tx.store.loadUsers(userIds),
                  tx.store.loadGroups(groupIds),
                  tx.store.loadGroupIds(userIds),
                  tx.store.loadMemberships(membershipRows),
                  tx.store.loadMembershipsOfMembers(tx.directoryId, SourceLink.USER, newUsers),
                  tx.store.loadMembershipsOfMembers(tx.directoryId, SourceLink.GROUP, newGroups),
                  tx.store.loadMembershipsOfGroups(tx.directoryId, newGroups),
                  values.isEmpty() ? Uni.createFrom().voidItem() : tx.store.loadCandidates(tx.tenantId, tx.directoryId, values)))
              .andFailFast()
              .replaceWithVoid();
        });
  }

  private static SourceLink newLink(DirectoryTx tx, String kind, String resourceId) {
    SourceLink l = new SourceLink();
    l.id = SourceLink.key(tx.directoryId, kind, resourceId);
    l.directoryId = tx.directoryId;
    l.kind = kind;
    l.resourceId = resourceId;
    l.tenantId = tx.tenantId;
    l.inScope = true;
    l.updatedAt = Instant.now();
    return l;
  }

  private static void linkApplied(DirectoryTx tx, SourceLink l, long sourceVersion, Map<String, Object> mapped) {
    l.sourceVersion = Math.max(l.sourceVersion, sourceVersion);
    l.contentHash = hash(mapped);
    l.inScope = true;
    l.updatedAt = Instant.now();
    tx.store.save(l);
  }

  /** Hash of mapped values, so a staged job can tell an update from a no-op without loading the entity. */
  static String hash(Map<String, Object> mapped) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(EventJson.write(mapped).getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String text(Object v) {
    return v == null ? null : v.toString();
  }

  private static String lower(String v) {
    return v == null ? null : v.toLowerCase(Locale.ROOT);
  }
}
