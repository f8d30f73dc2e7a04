package dev.dsync.poller.jobs;

import dev.dsync.events.Actor;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.audit.AuditRecord;
import dev.dsync.events.source.SyncJobStarted;
import dev.dsync.events.source.SyncMode;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.poller.PollerConfig;
import dev.dsync.poller.connections.ConnectionService;
import dev.dsync.poller.connections.ConnectionViews.JobView;
import dev.dsync.poller.source.JsonColumns;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Sync job rows: requesting one (at most one pending or running per connection, enforced by a
 * unique index), claiming one under a lease, listing them.
 */
@ApplicationScoped
public class SyncJobs {

  private final Pool pool;
  private final Outbox outbox;
  private final ConnectionService connections;
  private final PollerConfig config;

  public SyncJobs(Pool pool, Outbox outbox, ConnectionService connections, PollerConfig config) {
    this.pool = pool;
    this.outbox = outbox;
    this.connections = connections;
    this.config = config;
  }

  /** A claimed job: what the engine needs to run or resume it. */
  public record ClaimedJob(
      UUID id, UUID connectionId, String tenantId, SyncMode mode, String phase, String cursor, String nextState,
      Map<String, Long> counters, String owner) {}

  /**
   * Queues a job for a tenant's connection. An incremental request on a connection that never
   * completed a job runs complete: there is nothing to be incremental from. 409 if one is active.
   */
  public Uni<JobView> request(String tenant, Actor actor, UUID connectionId, SyncMode requested) {
    UUID id = UUID.randomUUID();
    return pool.withTransaction(tx -> connections.require(tx, tenant, connectionId).chain(row -> {
      if ("PAUSED".equals(row.getString("state"))) {
        return Uni.createFrom().failure(ProblemException.conflict("connection " + connectionId + " is paused: resume it first"));
      }
      SyncMode mode = requested == SyncMode.INCREMENTAL && row.getString("incremental_state") == null ? SyncMode.COMPLETE : requested;
      return tx.preparedQuery("insert into sync_job (id, connection_id, tenant_id, mode, status, trigger) values ($1, $2, $3, $4, 'PENDING', 'manual')"
              + " on conflict do nothing")
          .execute(Tuple.of(id, connectionId, tenant, mode.name()))
          .chain(rows -> {
            if (rows.rowCount() == 0) {
              return active(tx, connectionId).chain(existing -> Uni.createFrom().failure(ProblemException.conflict(
                  "connection " + connectionId + " already has job " + existing.orElse(null) + " pending or running")));
            }
            return connections.audit(tx, tenant, actor, "connection.sync_requested", connectionId, AuditRecord.Outcome.SUCCESS,
                    Map.of("jobId", id.toString(), "mode", mode.name()))
                .chain(() -> get(tx, tenant, connectionId, id));
          });
    }));
  }

  private Uni<Optional<UUID>> active(SqlClient tx, UUID connectionId) {
    return tx.preparedQuery("select id from sync_job where connection_id = $1 and status in ('PENDING', 'RUNNING')")
        .execute(Tuple.of(connectionId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getUUID("id")));
  }

  public Uni<List<JobView>> list(String tenant, UUID connectionId, int limit) {
    return connections.require(pool, tenant, connectionId)
        .chain(() -> pool.preparedQuery("select * from sync_job where connection_id = $1 order by created_at desc limit $2")
            .execute(Tuple.of(connectionId, limit)))
        .map(rows -> {
          List<JobView> out = new ArrayList<>();
          rows.forEach(r -> out.add(view(r)));
          return out;
        });
  }

  public Uni<JobView> get(String tenant, UUID connectionId, UUID jobId) {
    return get(pool, tenant, connectionId, jobId);
  }

  private Uni<JobView> get(SqlClient client, String tenant, UUID connectionId, UUID jobId) {
    return client.preparedQuery("select * from sync_job where id = $1 and connection_id = $2 and tenant_id = $3")
        .execute(Tuple.of(jobId, connectionId, tenant))
        .map(rows -> {
          if (rows.size() == 0) {
            throw ProblemException.notFound("sync job", jobId.toString());
          }
          return view(rows.iterator().next());
        });
  }

  /**
   * Claims the oldest pending job, or a running one whose owner's lease expired (a replica that
   * died mid-job: the claimant resumes from its last committed page). Skip-locked and the lease
   * keep two replicas from ever holding the same job. A job claimed for the first time announces
   * itself with SyncJobStarted in the same transaction.
   */
  public Uni<Optional<ClaimedJob>> claim(String owner, UUID onlyJob) {
    return pool.withTransaction(tx -> tx.preparedQuery(
            "with picked as (select j.id, j.status as old_status from sync_job j join connection c on c.id = j.connection_id"
                + " where j.status in ('PENDING', 'RUNNING') and (j.lease_until is null or j.lease_until < now())"
                + " and c.state <> 'PAUSED' and ($3::uuid is null or j.id = $3)"
                + " order by j.created_at limit 1 for update of j skip locked)"
                + " update sync_job s set status = 'RUNNING', lease_owner = $1, lease_until = now() + make_interval(secs => $2),"
                + " started_at = coalesce(s.started_at, now())"
                + " from picked where s.id = picked.id returning s.*, picked.old_status")
        .execute(Tuple.of(owner, (double) config.lease().toMillis() / 1000.0, onlyJob))
        .chain(rows -> {
          if (rows.size() == 0) {
            return Uni.createFrom().item(Optional.<ClaimedJob>empty());
          }
          Row r = rows.iterator().next();
          ClaimedJob job = new ClaimedJob(r.getUUID("id"), r.getUUID("connection_id"), r.getString("tenant_id"),
              SyncMode.valueOf(r.getString("mode")), r.getString("phase"), r.getString("cursor"), r.getString("next_state"),
              counters(r), owner);
          if (!"PENDING".equals(r.getString("old_status"))) {
            return Uni.createFrom().item(Optional.of(job));
          }
          SyncJobStarted started = new SyncJobStarted(job.id().toString(), job.connectionId().toString(), job.mode(), Instant.now());
          return outbox.append(tx, OutboxMessage.of(EventType.SOURCE_SYNC_JOB_STARTED, job.connectionId().toString(), job.tenantId(),
                  job.connectionId().toString(), job.id().toString(), started))
              .replaceWith(Optional.of(job));
        }));
  }

  static Map<String, Long> counters(Row r) {
    Map<String, Long> out = new TreeMap<>();
    JsonColumns.object(r, "counters").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
    return out;
  }

  static String countersJson(Map<String, Long> counters) {
    return EventJson.write(counters);
  }

  private static JobView view(Row r) {
    return new JobView(r.getUUID("id"), r.getUUID("connection_id"), r.getString("mode"), r.getString("status"), r.getString("phase"),
        r.getString("trigger"), counters(r), r.getString("reason"), r.getOffsetDateTime("created_at"), r.getOffsetDateTime("started_at"),
        r.getOffsetDateTime("finished_at"));
  }
}
