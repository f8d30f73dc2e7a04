package dev.dsync.reconciler.jobs;

import dev.dsync.events.Actor;
import dev.dsync.events.EventJson;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.reconciler.api.Page;
import dev.dsync.reconciler.config.ReconcilerConfig;
import dev.dsync.reconciler.pipeline.Reconciler;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Job history, pending changes, and the administrator's resume and cancel. */
@ApplicationScoped
public class SyncJobAdmin {

  /** A job as the API shows it. */
  public record JobView(
      String id, String directoryId, String kind, String mode, String status, String reason,
      Map<String, Long> counters, Map<String, Object> planned, Instant startedAt, Instant completedAt,
      Long durationMs, Instant decidedAt, String decidedBy, Instant plannedAt, Instant appliedAt, Long applyDurationMs) {}

  /** A pending change of a blocked job. */
  public record PendingChange(long id, UUID eventId, String type, String resourceId, String action) {}

  private final SyncJobService jobs;
  private final ApplyingJobs applyingJobs;
  private final Reconciler reconciler;
  private final ReconcilerConfig config;

  public SyncJobAdmin(SyncJobService jobs, ApplyingJobs applyingJobs, Reconciler reconciler, ReconcilerConfig config) {
    this.jobs = jobs;
    this.applyingJobs = applyingJobs;
    this.reconciler = reconciler;
    this.config = config;
  }

  @WithSession
  public Uni<Page<JobView>> list(String tenantId, String directoryId, String status, String cursor, int limit) {
    int size = limit(limit);
    StringBuilder q = new StringBuilder("tenantId = :t");
    Parameters p = Parameters.with("t", tenantId);
    if (directoryId != null) {
      q.append(" and directoryId = :d");
      p.and("d", directoryId);
    }
    if (status != null) {
      q.append(" and status = :s");
      p.and("s", status.toUpperCase());
    }
    if (cursor != null) {
      q.append(" and id > :c");
      p.and("c", cursor);
    }
    q.append(" order by id");
    return SyncJob.<SyncJob>find(q.toString(), p)
        .range(0, size)
        .list()
        .map(rows -> {
          boolean more = rows.size() > size;
          var items = rows.stream().limit(size).map(SyncJobAdmin::view).toList();
          return new Page<>(items, more ? items.get(items.size() - 1).id() : null);
        });
  }

  @WithSession
  public Uni<JobView> get(String tenantId, String id) {
    return owned(tenantId, id).map(SyncJobAdmin::view);
  }

  /**
   * A page of the job's pending changes in order. A job's changes may sit in batch rows: their
   * changes carry the row's id, and a page that ends inside one continues from a cursor
   * {@code <row>.<index>}. Rows keep their ids from staging to apply, so a cursor stays good while
   * the job goes from running to blocked to applying.
   */
  @WithSession
  public Uni<Page<PendingChange>> pending(String tenantId, String id, String cursor, int limit) {
    int size = limit(limit);
    long[] at = parseChangeCursor(cursor);
    boolean insideRow = at[1] >= 0;
    long after = insideRow ? at[0] - 1 : at[0];
    return owned(tenantId, id)
        .chain(job -> jobs.pending(id, after, insideRow ? at[0] : 0L, insideRow ? (int) at[1] : 0, size + 1))
        .map(found -> {
          List<PendingChange> items = found.stream().limit(size)
              .map(p -> new PendingChange(p.change().id, p.change().eventId, p.change().type, p.change().resourceId, p.change().action))
              .toList();
          String next = null;
          if (found.size() > size) {
            SyncJobService.Pending first = found.get(size);
            next = first.index() == 0 ? String.valueOf(items.get(items.size() - 1).id()) : first.change().id + "." + first.index();
          }
          return new Page<>(items, next);
        });
  }

  /** A changes cursor: {@code <row>} (after that row: index -1) or {@code <row>.<index>} (from that change of the row). */
  private static long[] parseChangeCursor(String cursor) {
    if (cursor == null) {
      return new long[] {0L, -1L};
    }
    int dot = cursor.indexOf('.');
    try {
      if (dot < 0) {
        return new long[] {Long.parseLong(cursor), -1L};
      }
      long index = Long.parseLong(cursor.substring(dot + 1));
      if (index < 0 || index > Integer.MAX_VALUE) {
        throw new NumberFormatException();
      }
      return new long[] {Long.parseLong(cursor.substring(0, dot)), index};
    } catch (NumberFormatException e) {
      throw ProblemException.badRequest("cursor is not one this API returned");
    }
  }

  /**
   * Applies exactly the blocked job's pending changes, in order, with their events: the decision
   * commits first (APPLYING, audited), then the pages, each in a transaction of its own. Answers
   * once the job is COMPLETED; a crash in between leaves it APPLYING for the pipeline to finish.
   */
  public Uni<JobView> resume(String tenantId, String id, Actor actor) {
    return ownedJob(tenantId, id)
        .chain(job -> reconciler.withDirectory(tenantId, job.directoryId, tx ->
            // Re-read under the directory lock: a concurrent resume or cancel may have decided it.
            tx.store.freshJob(id).chain(fresh -> {
              requireBlocked(fresh);
              return jobs.olderBlocked(tx, id).chain(older -> {
                if (older != null) {
                  throw ProblemException.conflict("job " + older.id + " of this directory is blocked too: resume or cancel it first");
                }
                jobs.audit(tx, actor, "sync_job.resumed", id, Map.of());
                return jobs.startApplying(tx, fresh, actor.id());
              });
            }))
            .chain(() -> applyingJobs.apply(tenantId, job.directoryId, id)))
        .chain(() -> ownedJob(tenantId, id))
        .map(SyncJobAdmin::view);
  }

  /** Discards the blocked job's pending changes; none is applied. */
  public Uni<JobView> cancel(String tenantId, String id, Actor actor) {
    return ownedJob(tenantId, id)
        .chain(job -> reconciler.withDirectory(tenantId, job.directoryId, tx ->
            tx.store.freshJob(id).chain(fresh -> {
              requireBlocked(fresh);
              return jobs.discard(tx, id)
                  .chain(() -> jobs.finish(tx, id, JobStatus.CANCELLED, null, actor.id()))
                  .invoke(() -> jobs.audit(tx, actor, "sync_job.cancelled", id, Map.of()))
                  .chain(() -> tx.store.job(id));
            })))
        .map(SyncJobAdmin::view);
  }

  /** The job if the tenant owns it (read in a session of its own, before the transaction that decides it). */
  private Uni<SyncJob> ownedJob(String tenantId, String id) {
    return Panache.withSession(() -> owned(tenantId, id));
  }

  private static void requireBlocked(SyncJob job) {
    if (!JobStatus.BLOCKED.name().equals(job.status)) {
      throw ProblemException.conflict("job " + job.id + " is " + job.status + ", not BLOCKED");
    }
  }

  private Uni<SyncJob> owned(String tenantId, String id) {
    return SyncJob.<SyncJob>findById(id)
        .map(job -> {
          if (job == null || !job.tenantId.equals(tenantId)) {
            throw ProblemException.notFound("sync job", id);
          }
          return job;
        });
  }

  @SuppressWarnings("unchecked") // planned is a JSON object written by SyncJobService
  static JobView view(SyncJob j) {
    Long duration = j.completedAt == null ? null : Duration.between(j.startedAt, j.completedAt).toMillis();
    // From when it could be applied (planned, or resumed by an administrator) to its last page.
    Instant applyFrom = j.decidedAt != null && (j.plannedAt == null || j.decidedAt.isAfter(j.plannedAt)) ? j.decidedAt : j.plannedAt;
    Long apply = j.appliedAt == null || applyFrom == null ? null : Duration.between(applyFrom, j.appliedAt).toMillis();
    return new JobView(
        j.id, j.directoryId, j.kind, j.mode, j.status, j.reason, SyncJobService.readCounters(j.counters),
        j.planned == null ? null : EventJson.read(j.planned, Map.class), j.startedAt, j.completedAt, duration,
        j.decidedAt, j.decidedBy, j.plannedAt, j.appliedAt, apply);
  }

  private int limit(int requested) {
    return requested <= 0 ? 50 : Math.min(requested, config.maxPageSize());
  }
}
