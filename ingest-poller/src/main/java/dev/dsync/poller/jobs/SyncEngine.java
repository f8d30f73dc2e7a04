package dev.dsync.poller.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.Actor;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.source.GroupDeleted;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.GroupUpserted;
import dev.dsync.events.source.MemberRef;
import dev.dsync.events.source.SyncJobCompleted;
import dev.dsync.events.source.SyncJobFailed;
import dev.dsync.events.source.SyncMode;
import dev.dsync.events.source.UserDeleted;
import dev.dsync.events.source.UserUpserted;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxConfig;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.poller.PollerConfig;
import dev.dsync.poller.connections.Connection;
import dev.dsync.poller.connections.ConnectionService;
import dev.dsync.poller.jobs.SyncJobs.ClaimedJob;
import dev.dsync.poller.source.Connector;
import dev.dsync.poller.source.Connectors;
import dev.dsync.poller.source.JobStats;
import dev.dsync.poller.source.Page;
import dev.dsync.poller.source.Scim;
import dev.dsync.poller.source.SourceChange;
import dev.dsync.poller.source.SourceException;
import dev.dsync.poller.source.SourceSession;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Runs a claimed sync job page by page. Each page is compared with the connection's snapshot and
 * only real differences become events; the events, the snapshot and the job's cursor commit in one
 * transaction, so a job resumed elsewhere starts at the first uncommitted page and re-reading a
 * page has no second effect. A complete job then sweeps what it never saw into deletions.
 */
@ApplicationScoped
public class SyncEngine {

  /** How a run of a job ended on this replica. */
  public enum Outcome {
    /** The job completed. */
    COMPLETED,
    /** The job failed; a SyncJobFailed says why. */
    FAILED,
    /** The job failed because its delta expired; a complete job was queued in its place. */
    FELL_BACK_TO_COMPLETE,
    /** Another replica owns the job now; this one wrote nothing more. */
    LEASE_LOST
  }

  static final Actor ACTOR = Actor.system("ingest-poller");

  private final Pool pool;
  private final Outbox outbox;
  private final ConnectionService connections;
  private final Connectors connectors;
  private final PollerConfig config;
  /** Most JSON a resource may have in an upsert event: the outbox's limit less room for the rest of the event. */
  private final int maxResourceBytes;

  public SyncEngine(Pool pool, Outbox outbox, ConnectionService connections, Connectors connectors, PollerConfig config, OutboxConfig outboxConfig) {
    this.maxResourceBytes = Math.max(outboxConfig.maxPayloadBytes() / 2, outboxConfig.maxPayloadBytes() - 16_384);
    this.pool = pool;
    this.outbox = outbox;
    this.connections = connections;
    this.connectors = connectors;
    this.config = config;
  }

  /** Mutable state of one run; only ever touched by the run's sequential pipeline. */
  private static final class Run {
    final ClaimedJob job;
    final Connection connection;
    final JobStats stats;
    final SourceSession session;
    String cursor;
    String phase;
    String nextState;
    Map<String, Long> counters;

    Run(ClaimedJob job, Connection connection, JobStats stats, SourceSession session) {
      this.job = job;
      this.connection = connection;
      this.stats = stats;
      this.session = session;
      this.cursor = job.cursor();
      this.phase = job.phase();
      this.nextState = job.nextState();
      this.counters = new TreeMap<>(job.counters());
    }

    String key() {
      return job.connectionId().toString();
    }

    OutboxMessage message(EventType type, String subject, Object data) {
      return OutboxMessage.of(type, key(), job.tenantId(), key(), subject, data);
    }
  }

  public Uni<Outcome> run(ClaimedJob job) {
    JobStats stats = new JobStats();
    return connections.load(pool, job.connectionId())
        .chain(connection -> {
          Connector connector = connectors.require(connection.type());
          String from = job.mode() == SyncMode.INCREMENTAL ? connection.incrementalState() : null;
          SourceSession session = connector.open(ConnectionService.context(connection, from, stats), job.mode());
          Run run = new Run(job, connection, stats, session);
          Log.infof("job %s of connection %s: %s %s from %s", job.id(), job.connectionId(), job.cursor() == null ? "starting" : "resuming",
              job.mode(), job.cursor() == null ? "the beginning" : "its checkpoint");
          return Multi.createBy().repeating().uni(() -> run, this::step).whilst(finished -> !finished)
              .collect().last()
              .replaceWith(Outcome.COMPLETED)
              .eventually(session::close);
        })
        .onFailure().recoverWithUni(e -> fail(job, stats, e));
  }

  /** One page or one sweep batch; true when the job has completed. */
  private Uni<Boolean> step(Run run) {
    if ("LISTING".equals(run.phase)) {
      return run.session.next(run.cursor).chain(page -> applyPage(run, page)).replaceWith(false);
    }
    return sweep(run);
  }

  private Uni<Void> applyPage(Run run, Page page) {
    Map<String, Long> counters = new TreeMap<>(run.counters);
    add(counters, run.stats.drain());
    counters.merge("pages", 1L, Long::sum);
    String phase = page.last() ? "SWEEPING" : "LISTING";
    String nextState = page.last() ? page.incrementalState() : run.nextState;
    return pool.withTransaction(tx -> fence(tx, run)
            .chain(() -> diff(tx, run, page.changes(), counters))
            .chain(messages -> outbox.appendAll(tx, messages))
            .chain(() -> progress(tx, run, page.cursor(), phase, nextState, counters)))
        .invoke(() -> {
          run.cursor = page.cursor();
          run.phase = phase;
          run.nextState = nextState;
          run.counters = counters;
        });
  }

  /** Renews the lease and locks the job row; fails if another replica owns the job now. */
  private Uni<Void> fence(SqlClient tx, Run run) {
    return tx.preparedQuery("update sync_job set lease_until = now() + make_interval(secs => $3) where id = $1 and lease_owner = $2 and status = 'RUNNING'")
        .execute(Tuple.of(run.job.id(), run.job.owner(), (double) config.lease().toMillis() / 1000.0))
        .map(rows -> {
          if (rows.rowCount() == 0) {
            throw new LeaseLostException(run.job.id().toString());
          }
          return null;
        });
  }

  private Uni<Void> progress(SqlClient tx, Run run, String cursor, String phase, String nextState, Map<String, Long> counters) {
    return tx.preparedQuery("update sync_job set cursor = $2, phase = $3, next_state = $4, counters = cast(cast($5 as text) as jsonb) where id = $1")
        .execute(Tuple.of(run.job.id(), cursor, phase, nextState, SyncJobs.countersJson(counters)))
        .replaceWithVoid();
  }

  // ---------------------------------------------------------------- diff of one page

  private record Entry(ObjectNode resource, long version, boolean deleted) {}

  /** Compares a page with the snapshot, writes the snapshot, and answers the events to append. */
  private Uni<List<OutboxMessage>> diff(SqlClient tx, Run run, List<SourceChange> changes, Map<String, Long> counters) {
    List<String> userIds = new ArrayList<>();
    List<String> groupIds = new ArrayList<>();
    List<String> fullGroups = new ArrayList<>();
    List<String> deltaGroups = new ArrayList<>();
    List<String> deltaMembers = new ArrayList<>();
    for (SourceChange c : changes) {
      if (c instanceof SourceChange.UserSeen u) {
        userIds.add(u.id());
      } else if (c instanceof SourceChange.UserGone u) {
        userIds.add(u.id());
      } else if (c instanceof SourceChange.GroupSeen g) {
        groupIds.add(g.id());
      } else if (c instanceof SourceChange.GroupGone g) {
        groupIds.add(g.id());
      } else if (c instanceof SourceChange.MembersFull m) {
          groupIds.add(m.groupId());
          fullGroups.add(m.groupId());
      } else if (c instanceof SourceChange.MembersDelta m) {
          groupIds.add(m.groupId());
          for (MemberRef r : m.added()) {
            deltaGroups.add(m.groupId());
            deltaMembers.add(r.value());
          }
          for (MemberRef r : m.removed()) {
            deltaGroups.add(m.groupId());
            deltaMembers.add(r.value());
          }
      }
    }
    UUID conn = run.job.connectionId();
    Uni<Map<String, Entry>> users = entries(tx, conn, "User", userIds);
    Uni<Map<String, Entry>> groups = entries(tx, conn, "Group", groupIds);
    Uni<Map<String, Map<String, String>>> members = members(tx, conn, fullGroups, deltaGroups, deltaMembers);
    return users.chain(u -> groups.chain(g -> members.chain(m -> apply(tx, run, changes, u, g, m, counters))));
  }

  private Uni<Map<String, Entry>> entries(SqlClient tx, UUID conn, String kind, List<String> ids) {
    if (ids.isEmpty()) {
      return Uni.createFrom().item(new HashMap<>());
    }
    return tx.preparedQuery("select resource_id, resource::text as body, version, deleted from snapshot_entry"
            + " where connection_id = $1 and kind = $2 and resource_id = any($3)")
        .execute(Tuple.of(conn, kind, ids.toArray(String[]::new)))
        .map(rows -> {
          Map<String, Entry> out = new HashMap<>();
          for (Row r : rows) {
            out.put(r.getString("resource_id"), new Entry(parse(r.getString("body")), r.getLong("version"), r.getBoolean("deleted")));
          }
          return out;
        });
  }

  /** Current members (id to type) of the groups the page touches: all of a full list's group, only the named ones of a delta. */
  private Uni<Map<String, Map<String, String>>> members(SqlClient tx, UUID conn, List<String> fullGroups, List<String> deltaGroups, List<String> deltaMembers) {
    Map<String, Map<String, String>> out = new HashMap<>();
    Uni<Void> full = fullGroups.isEmpty() ? Uni.createFrom().voidItem()
        : tx.preparedQuery("select group_id, member_id, member_type from snapshot_member where connection_id = $1 and group_id = any($2)")
            .execute(Tuple.of(conn, fullGroups.toArray(String[]::new)))
            .invoke(rows -> rows.forEach(r -> out.computeIfAbsent(r.getString("group_id"), k -> new HashMap<>()).put(r.getString("member_id"), r.getString("member_type"))))
            .replaceWithVoid();
    return full.chain(() -> deltaGroups.isEmpty() ? Uni.createFrom().voidItem()
            : tx.preparedQuery("select m.group_id, m.member_id, m.member_type from snapshot_member m"
                    + " join unnest($2::text[], $3::text[]) as d(group_id, member_id) on d.group_id = m.group_id and d.member_id = m.member_id"
                    + " where m.connection_id = $1")
                .execute(Tuple.of(conn, deltaGroups.toArray(String[]::new), deltaMembers.toArray(String[]::new)))
                .invoke(rows -> rows.forEach(r -> out.computeIfAbsent(r.getString("group_id"), k -> new HashMap<>()).put(r.getString("member_id"), r.getString("member_type"))))
                .replaceWithVoid())
        .replaceWith(out);
  }

  /**
   * The resource as it is stored and sent: with its largest attributes dropped if it would not fit
   * an event (counted, and logged with what was dropped), so one oversized user does not fail every
   * job. The trimmed form is also the snapshot the next listing is compared with.
   */
  private ObjectNode fitted(Run run, String resourceId, ObjectNode resource, ObjectNode before, Map<String, Long> counters) {
    List<String> dropped = Scim.fit(resource, maxResourceBytes);
    // Counted and logged when it is sent, not again at every listing that finds it unchanged.
    if (!dropped.isEmpty() && !resource.equals(before)) {
      counters.merge("attributesDropped", (long) dropped.size(), Long::sum);
      Log.warnf("job %s of connection %s: resource %s is over %d bytes of JSON; dropped %s", run.job.id(), run.job.connectionId(), resourceId,
          maxResourceBytes, dropped);
    }
    return resource;
  }

  private Uni<List<OutboxMessage>> apply(SqlClient tx, Run run, List<SourceChange> changes, Map<String, Entry> users, Map<String, Entry> groups,
      Map<String, Map<String, String>> members, Map<String, Long> counters) {
    UUID job = run.job.id();
    String jobId = job.toString();
    Instant now = Instant.now();
    List<OutboxMessage> out = new ArrayList<>();
    Map<String, Entry> dirtyUsers = new LinkedHashMap<>();
    Map<String, Entry> dirtyGroups = new LinkedHashMap<>();
    List<String> seenUsers = new ArrayList<>();
    List<String> seenGroups = new ArrayList<>();
    List<String> goneUsers = new ArrayList<>();
    List<String> goneGroups = new ArrayList<>();
    List<Tuple> memberInserts = new ArrayList<>();
    List<Tuple> memberDeletes = new ArrayList<>();
    List<Tuple> memberSeen = new ArrayList<>();
    Map<String, List<MemberRef>[]> membership = new LinkedHashMap<>();

    for (SourceChange c : changes) {
      {
        if (c instanceof SourceChange.UserSeen u) {
          Entry prev = users.get(u.id());
          ObjectNode before = prev == null || prev.deleted() ? null : prev.resource();
          ObjectNode after = fitted(run, u.id(), u.partial() && before != null ? Scim.merge(before, u.resource()) : Scim.prune(u.resource().deepCopy()),
              before, counters);
          if (before != null && before.equals(after)) {
            seenUsers.add(u.id());
            counters.merge("unchanged", 1L, Long::sum);
          } else {
            Entry next = new Entry(after, prev == null ? 1 : prev.version() + 1, false);
            users.put(u.id(), next);
            dirtyUsers.put(u.id(), next);
            out.add(run.message(EventType.SOURCE_USER_UPSERTED, u.id(), new UserUpserted(u.id(), text(after, "externalId"), next.version(), now, after,
                Scim.changedAttributes(before, after), ACTOR, jobId)));
            counters.merge("usersUpserted", 1L, Long::sum);
          }
        } else if (c instanceof SourceChange.UserGone u) {
          Entry prev = users.get(u.id());
          if (prev != null && !prev.deleted()) {
            Entry next = new Entry(null, prev.version() + 1, true);
            users.put(u.id(), next);
            dirtyUsers.put(u.id(), next);
            goneUsers.add(u.id());
            out.add(run.message(EventType.SOURCE_USER_DELETED, u.id(), new UserDeleted(u.id(), text(prev.resource(), "externalId"), next.version(), now, ACTOR, jobId)));
            counters.merge("usersDeleted", 1L, Long::sum);
          }
        } else if (c instanceof SourceChange.GroupSeen g) {
          Entry prev = groups.get(g.id());
          ObjectNode before = prev == null || prev.deleted() ? null : prev.resource();
          ObjectNode after = fitted(run, g.id(), g.partial() && before != null ? Scim.merge(before, g.resource()) : Scim.prune(g.resource().deepCopy()),
              before, counters);
          if (before != null && before.equals(after)) {
            seenGroups.add(g.id());
            counters.merge("unchanged", 1L, Long::sum);
          } else {
            Entry next = new Entry(after, prev == null ? 1 : prev.version() + 1, false);
            groups.put(g.id(), next);
            dirtyGroups.put(g.id(), next);
            out.add(run.message(EventType.SOURCE_GROUP_UPSERTED, g.id(), new GroupUpserted(g.id(), text(after, "externalId"), next.version(), now, after,
                Scim.changedAttributes(before, after), ACTOR, jobId)));
            counters.merge("groupsUpserted", 1L, Long::sum);
          }
        } else if (c instanceof SourceChange.GroupGone g) {
          Entry prev = groups.get(g.id());
          if (prev != null && !prev.deleted()) {
            Entry next = new Entry(null, prev.version() + 1, true);
            groups.put(g.id(), next);
            dirtyGroups.put(g.id(), next);
            goneGroups.add(g.id());
            members.remove(g.id());
            membership.remove(g.id());
            out.add(run.message(EventType.SOURCE_GROUP_DELETED, g.id(), new GroupDeleted(g.id(), text(prev.resource(), "externalId"), next.version(), now, ACTOR, jobId)));
            counters.merge("groupsDeleted", 1L, Long::sum);
          }
        } else if (c instanceof SourceChange.MembersDelta m) {
          Map<String, String> current = members.computeIfAbsent(m.groupId(), k -> new HashMap<>());
          for (MemberRef r : m.added()) {
            if (current.containsKey(r.value())) {
              memberSeen.add(Tuple.of(m.groupId(), r.value()));
            } else {
              current.put(r.value(), r.type());
              memberInserts.add(Tuple.of(m.groupId(), r.value(), r.type()));
              delta(membership, m.groupId())[0].add(r);
            }
          }
          for (MemberRef r : m.removed()) {
            if (current.remove(r.value()) != null) {
              memberDeletes.add(Tuple.of(m.groupId(), r.value()));
              delta(membership, m.groupId())[1].add(r);
            }
          }
        } else if (c instanceof SourceChange.MembersFull m) {
          Map<String, String> current = members.computeIfAbsent(m.groupId(), k -> new HashMap<>());
          Map<String, String> wanted = new LinkedHashMap<>();
          m.members().forEach(r -> wanted.put(r.value(), r.type()));
          for (var e : wanted.entrySet()) {
            if (current.containsKey(e.getKey())) {
              memberSeen.add(Tuple.of(m.groupId(), e.getKey()));
            } else {
              memberInserts.add(Tuple.of(m.groupId(), e.getKey(), e.getValue()));
              delta(membership, m.groupId())[0].add(new MemberRef(e.getKey(), e.getValue()));
            }
          }
          for (var e : current.entrySet()) {
            if (!wanted.containsKey(e.getKey())) {
              memberDeletes.add(Tuple.of(m.groupId(), e.getKey()));
              delta(membership, m.groupId())[1].add(new MemberRef(e.getKey(), e.getValue()));
            }
          }
          members.put(m.groupId(), new HashMap<>(wanted));
        }
      }
    }
    // Membership deltas follow the group upserts of the page; each bumps its group's version.
    for (var e : membership.entrySet()) {
      List<MemberRef>[] d = e.getValue();
      if (d[0].isEmpty() && d[1].isEmpty()) {
        continue;
      }
      Entry g = groups.get(e.getKey());
      Entry next = new Entry(g == null ? null : g.resource(), g == null ? 1 : g.version() + 1, false);
      groups.put(e.getKey(), next);
      dirtyGroups.put(e.getKey(), next);
      seenGroups.remove(e.getKey());
      // A group's first listing can name 100,000 members: split, as a Kafka record is at most 1 MB.
      for (GroupMembershipChanged part : new GroupMembershipChanged(e.getKey(), next.version(), now, d[0], d[1], false, ACTOR, jobId)
          .split(GroupMembershipChanged.MAX_MEMBERS_PER_EVENT)) {
        out.add(run.message(EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, e.getKey(), part));
        counters.merge("membershipChanges", 1L, Long::sum);
      }
      counters.merge("membersAdded", (long) d[0].size(), Long::sum);
      counters.merge("membersRemoved", (long) d[1].size(), Long::sum);
    }
    UUID conn = run.job.connectionId();
    return upsertEntries(tx, conn, "User", dirtyUsers, job)
        .chain(() -> upsertEntries(tx, conn, "Group", dirtyGroups, job))
        .chain(() -> markSeen(tx, conn, "User", seenUsers, job))
        .chain(() -> markSeen(tx, conn, "Group", seenGroups, job))
        .chain(() -> goneGroups.isEmpty() ? Uni.createFrom().voidItem()
            : tx.preparedQuery("delete from snapshot_member where connection_id = $1 and group_id = any($2)")
                .execute(Tuple.of(conn, goneGroups.toArray(String[]::new))).replaceWithVoid())
        .chain(() -> goneUsers.isEmpty() ? Uni.createFrom().voidItem()
            : tx.preparedQuery("delete from snapshot_member where connection_id = $1 and member_id = any($2)")
                .execute(Tuple.of(conn, goneUsers.toArray(String[]::new))).replaceWithVoid())
        .chain(() -> batch(tx, "insert into snapshot_member (connection_id, group_id, member_id, member_type, seen_job) values ($1, $2, $3, $4, $5)"
            + " on conflict (connection_id, group_id, member_id) do update set seen_job = excluded.seen_job",
            memberInserts.stream().map(t -> Tuple.of(conn, t.getString(0), t.getString(1), t.getString(2), job)).toList()))
        .chain(() -> batch(tx, "delete from snapshot_member where connection_id = $1 and group_id = $2 and member_id = $3",
            memberDeletes.stream().map(t -> Tuple.of(conn, t.getString(0), t.getString(1))).toList()))
        .chain(() -> batch(tx, "update snapshot_member set seen_job = $4 where connection_id = $1 and group_id = $2 and member_id = $3",
            memberSeen.stream().map(t -> Tuple.of(conn, t.getString(0), t.getString(1), job)).toList()))
        .replaceWith(out);
  }

  @SuppressWarnings("unchecked") // generic array of two lists: added, removed
  private static List<MemberRef>[] delta(Map<String, List<MemberRef>[]> membership, String groupId) {
    return membership.computeIfAbsent(groupId, k -> new List[] {new ArrayList<>(), new ArrayList<>()});
  }

  private Uni<Void> upsertEntries(SqlClient tx, UUID conn, String kind, Map<String, Entry> dirty, UUID job) {
    List<Tuple> rows = new ArrayList<>();
    dirty.forEach((id, e) -> rows.add(Tuple.from(new Object[] {conn, kind, id, e.resource() == null ? null : EventJson.write(e.resource()), e.version(), e.deleted(), job})));
    return batch(tx, "insert into snapshot_entry (connection_id, kind, resource_id, resource, version, deleted, seen_job)"
        + " values ($1, $2, $3, cast(cast($4 as text) as jsonb), $5, $6, $7)"
        + " on conflict (connection_id, kind, resource_id) do update set resource = excluded.resource, version = excluded.version,"
        + " deleted = excluded.deleted, seen_job = excluded.seen_job", rows);
  }

  private Uni<Void> markSeen(SqlClient tx, UUID conn, String kind, List<String> ids, UUID job) {
    if (ids.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return tx.preparedQuery("update snapshot_entry set seen_job = $4 where connection_id = $1 and kind = $2 and resource_id = any($3)")
        .execute(Tuple.of(conn, kind, ids.toArray(String[]::new), job))
        .replaceWithVoid();
  }

  private static Uni<Void> batch(SqlClient tx, String sql, List<Tuple> rows) {
    if (rows.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return tx.preparedQuery(sql).executeBatch(rows).replaceWithVoid();
  }

  // ---------------------------------------------------------------- sweep and finish

  /** One sweep batch of a complete job (deleted groups, then dropped memberships, then deleted users); true once finished. */
  private Uni<Boolean> sweep(Run run) {
    Map<String, Long> counters = new TreeMap<>(run.counters);
    add(counters, run.stats.drain());
    return pool.withTransaction(tx -> fence(tx, run).chain(() -> {
          if (run.job.mode() == SyncMode.INCREMENTAL) {
            return finish(tx, run, counters);
          }
          return sweepEntries(tx, run, "Group", counters)
              .chain(n -> n > 0 ? Uni.createFrom().item(false) : sweepMembers(tx, run, counters).chain(m -> m > 0 ? Uni.createFrom().item(false)
                  : sweepEntries(tx, run, "User", counters).chain(u -> u > 0 ? Uni.createFrom().item(false) : finish(tx, run, counters))))
              .call(done -> done ? Uni.createFrom().voidItem() : progress(tx, run, null, "SWEEPING", run.nextState, counters));
        }))
        .invoke(() -> run.counters = counters);
  }

  private Uni<Integer> sweepEntries(SqlClient tx, Run run, String kind, Map<String, Long> counters) {
    UUID conn = run.job.connectionId();
    String jobId = run.job.id().toString();
    return tx.preparedQuery("update snapshot_entry set deleted = true, version = version + 1, resource = null"
            + " where connection_id = $1 and kind = $2 and resource_id in (select resource_id from snapshot_entry"
            + " where connection_id = $1 and kind = $2 and not deleted and seen_job is distinct from $3 order by resource_id limit $4)"
            + " returning resource_id, version")
        .execute(Tuple.of(conn, kind, run.job.id(), config.sweepBatch()))
        .chain(rows -> {
          List<OutboxMessage> out = new ArrayList<>();
          List<String> ids = new ArrayList<>();
          Instant now = Instant.now();
          for (Row r : rows) {
            String id = r.getString("resource_id");
            ids.add(id);
            long v = r.getLong("version");
            out.add("User".equals(kind)
                ? run.message(EventType.SOURCE_USER_DELETED, id, new UserDeleted(id, id, v, now, ACTOR, jobId))
                : run.message(EventType.SOURCE_GROUP_DELETED, id, new GroupDeleted(id, id, v, now, ACTOR, jobId)));
          }
          counters.merge("User".equals(kind) ? "usersDeleted" : "groupsDeleted", (long) ids.size(), Long::sum);
          Uni<Void> cleanup = ids.isEmpty() || "User".equals(kind) ? Uni.createFrom().voidItem()
              : tx.preparedQuery("delete from snapshot_member where connection_id = $1 and group_id = any($2)")
                  .execute(Tuple.of(conn, ids.toArray(String[]::new))).replaceWithVoid();
          return cleanup.chain(() -> outbox.appendAll(tx, out)).replaceWith(ids.size());
        });
  }

  private Uni<Integer> sweepMembers(SqlClient tx, Run run, Map<String, Long> counters) {
    UUID conn = run.job.connectionId();
    return tx.preparedQuery("delete from snapshot_member where ctid in (select ctid from snapshot_member where connection_id = $1"
            + " and seen_job is distinct from $2 order by group_id limit $3) returning group_id, member_id, member_type")
        .execute(Tuple.of(conn, run.job.id(), config.sweepBatch()))
        .chain(rows -> {
          Map<String, List<MemberRef>> removed = new LinkedHashMap<>();
          for (Row r : rows) {
            removed.computeIfAbsent(r.getString("group_id"), k -> new ArrayList<>()).add(new MemberRef(r.getString("member_id"), r.getString("member_type")));
          }
          if (removed.isEmpty()) {
            return Uni.createFrom().item(0);
          }
          return tx.preparedQuery("update snapshot_entry set version = version + 1 where connection_id = $1 and kind = 'Group' and resource_id = any($2)"
                  + " returning resource_id, version")
              .execute(Tuple.of(conn, removed.keySet().toArray(String[]::new)))
              .chain(versions -> {
                Map<String, Long> v = new HashMap<>();
                versions.forEach(r -> v.put(r.getString("resource_id"), r.getLong("version")));
                List<OutboxMessage> out = new ArrayList<>();
                Instant now = Instant.now();
                removed.forEach((group, refs) -> {
                  for (GroupMembershipChanged part : new GroupMembershipChanged(group, v.getOrDefault(group, 1L), now, List.of(), refs, false, ACTOR,
                      run.job.id().toString()).split(GroupMembershipChanged.MAX_MEMBERS_PER_EVENT)) {
                    out.add(run.message(EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, group, part));
                    counters.merge("membershipChanges", 1L, Long::sum);
                  }
                  counters.merge("membersRemoved", (long) refs.size(), Long::sum);
                });
                return outbox.appendAll(tx, out).replaceWith(rows.size());
              });
        });
  }

  private Uni<Boolean> finish(SqlClient tx, Run run, Map<String, Long> counters) {
    SyncJobCompleted done = new SyncJobCompleted(run.job.id().toString(), run.key(), run.job.mode(), Instant.now(), counters);
    return tx.preparedQuery("update sync_job set status = 'COMPLETED', finished_at = now(), counters = cast(cast($2 as text) as jsonb),"
            + " cursor = null, lease_owner = null, lease_until = null where id = $1")
        .execute(Tuple.of(run.job.id(), SyncJobs.countersJson(counters)))
        .chain(() -> tx.preparedQuery("update connection set incremental_state = coalesce($2, incremental_state), last_sync_at = now(),"
                + " state = case when state = 'PAUSED' then state else 'ACTIVE' end, state_reason = null where id = $1")
            .execute(Tuple.of(run.job.connectionId(), run.nextState)))
        .chain(() -> outbox.append(tx, run.message(EventType.SOURCE_SYNC_JOB_COMPLETED, run.job.id().toString(), done)))
        .invoke(() -> Log.infof("job %s of connection %s completed: %s", run.job.id(), run.job.connectionId(), counters))
        .replaceWith(true);
  }

  /** Ends a job that could not finish: SyncJobFailed, the connection's state, and for an expired delta a complete job in its place. */
  private Uni<Outcome> fail(ClaimedJob job, JobStats stats, Throwable e) {
    if (e instanceof LeaseLostException) {
      Log.warnf("job %s: another replica owns it now; this one stops without writing", job.id());
      return Uni.createFrom().item(Outcome.LEASE_LOST);
    }
    String reason;
    String connectionState;
    boolean fallback = false;
    if (e instanceof SourceException s) {
      reason = s.kind().name().toLowerCase() + ": " + s.getMessage();
      connectionState = switch (s.kind()) {
        case INVALID_CREDENTIALS -> "INVALID_CREDENTIALS";
        case DELTA_EXPIRED -> "ACTIVE";
        default -> "ERROR";
      };
      fallback = s.kind() == SourceException.Kind.DELTA_EXPIRED;
      Log.warnf("job %s of connection %s failed: %s", job.id(), job.connectionId(), reason);
    } else {
      UUID incident = UUID.randomUUID();
      reason = "internal error, incident " + incident;
      connectionState = "ERROR";
      Log.errorf(e, "job %s of connection %s failed, incident %s", job.id(), job.connectionId(), incident);
    }
    Map<String, Long> counters = new TreeMap<>(job.counters());
    add(counters, stats.drain());
    boolean fellBack = fallback;
    String key = job.connectionId().toString();
    SyncJobFailed failed = new SyncJobFailed(job.id().toString(), key, job.mode(), Instant.now(), reason);
    return pool.withTransaction(tx -> tx.preparedQuery("update sync_job set status = 'FAILED', reason = $3, finished_at = now(),"
                + " counters = counters || cast(cast($4 as text) as jsonb), lease_owner = null, lease_until = null"
                + " where id = $1 and lease_owner = $2 and status = 'RUNNING'")
            .execute(Tuple.of(job.id(), job.owner(), reason, SyncJobs.countersJson(counters)))
            .chain(rows -> {
              if (rows.rowCount() == 0) {
                return Uni.createFrom().item(Outcome.LEASE_LOST);
              }
              Uni<Void> next = fellBack
                  ? tx.preparedQuery("insert into sync_job (id, connection_id, tenant_id, mode, status, trigger) values ($1, $2, $3, 'COMPLETE', 'PENDING', 'delta-expired')")
                      .execute(Tuple.of(UUID.randomUUID(), job.connectionId(), job.tenantId()))
                      .chain(() -> tx.preparedQuery("update connection set incremental_state = null where id = $1").execute(Tuple.of(job.connectionId())))
                      .replaceWithVoid()
                  : tx.preparedQuery("update connection set state = case when state = 'PAUSED' then state else $2 end, state_reason = $3 where id = $1")
                      .execute(Tuple.of(job.connectionId(), connectionState, reason)).replaceWithVoid();
              return next
                  .chain(() -> outbox.append(tx, OutboxMessage.of(EventType.SOURCE_SYNC_JOB_FAILED, key, job.tenantId(), key, job.id().toString(), failed)))
                  .replaceWith(fellBack ? Outcome.FELL_BACK_TO_COMPLETE : Outcome.FAILED);
            }))
        .onFailure().recoverWithItem(dbError -> {
          // The database is unreachable too: the lease runs out and another run resumes the job.
          Log.errorf(dbError, "job %s: could not record its failure; it resumes when its lease expires", job.id());
          return Outcome.FAILED;
        });
  }

  private static void add(Map<String, Long> counters, Map<String, Long> more) {
    more.forEach((k, v) -> counters.merge(k, v, Long::sum));
  }

  private static String text(ObjectNode node, String field) {
    return node == null || node.get(field) == null ? null : node.get(field).asText();
  }

  private static ObjectNode parse(String json) {
    if (json == null) {
      return null;
    }
    try {
      return (ObjectNode) EventJson.mapper().readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException("snapshot row is not JSON");
    }
  }
}
