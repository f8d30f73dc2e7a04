package dev.dsync.reconciler.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.dsync.events.Actor;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.audit.AuditRecord;
import dev.dsync.events.source.SyncJobCompleted;
import dev.dsync.events.source.SyncJobFailed;
import dev.dsync.events.source.SyncJobStarted;
import dev.dsync.events.source.SyncMode;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.reconciler.config.ReconcilerConfig;
import dev.dsync.reconciler.identities.SourceLink;
import dev.dsync.reconciler.pipeline.ChangeApplier;
import dev.dsync.reconciler.pipeline.Counters;
import dev.dsync.reconciler.pipeline.DirectoryTx;
import dev.dsync.reconciler.pipeline.Outcome;
import dev.dsync.reconciler.pipeline.RejectedChange;
import dev.dsync.reconciler.pipeline.SourceChange;
import dev.dsync.reconciler.pipeline.Steps;
import dev.dsync.reconciler.thresholds.ThresholdAction;
import dev.dsync.reconciler.thresholds.ThresholdVerdict;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Sync jobs inside the pipeline's transaction: stages a job's changes, decides at completion
 * whether they stay within thresholds (apply) or not (BLOCKED, audited), holds a push directory's
 * changes when its rolling window is exceeded, and applies or discards a blocked job.
 */
@ApplicationScoped
public class SyncJobService {

  private static final Actor SYSTEM = Actor.system("reconciler");

  private final ChangeApplier applier;
  private final Outbox outbox;
  private final ReconcilerConfig config;

  public SyncJobService(ChangeApplier applier, Outbox outbox, ReconcilerConfig config) {
    this.applier = applier;
    this.outbox = outbox;
    this.config = config;
  }

  public Uni<Void> started(DirectoryTx tx, SyncJobStarted s) {
    return SyncJob.<SyncJob>findById(s.jobId())
        .chain(
            job -> {
              if (job != null) {
                job.mode = s.mode() == null ? job.mode : s.mode().name();
                job.connectionId = s.connectionId();
                return Uni.createFrom().voidItem();
              }
              return newJob(tx, s.jobId(), JobKind.POLLED, JobStatus.RUNNING, s.mode(), s.connectionId()).replaceWithVoid();
            });
  }

  /** Stages a change of a running job; false if the job is not running (the change is then applied as a push). */
  public Uni<Boolean> stageIfRunning(DirectoryTx tx, SourceChange c, String jobId, String resourceId) {
    return SyncJob.<SyncJob>findById(jobId)
        .chain(
            job -> {
              if (job != null && !tx.directoryId.equals(job.directoryId)) {
                throw new RejectedChange("job " + jobId + " belongs to another directory");
              }
              Uni<SyncJob> j = job != null ? Uni.createFrom().item(job) : newJob(tx, jobId, JobKind.POLLED, JobStatus.RUNNING, null, null);
              return j.chain(
                  running -> {
                    if (!JobStatus.RUNNING.name().equals(running.status)) {
                      return Uni.createFrom().item(false);
                    }
                    return stage(running, c, resourceId, null).replaceWith(true);
                  });
            });
  }

  /**
   * A push change: held if the directory is paused; otherwise a deletion is checked against the
   * rolling window and, over it, opens a BLOCKED push job. True if held.
   */
  public Uni<Boolean> holdPush(DirectoryTx tx, SourceChange c, String resourceId) {
    // The directory is locked for the whole transaction, so only this transaction can block a job
    // of it: once none was found, asking again per change is a wasted round trip.
    Uni<SyncJob> current = tx.knownUnblocked
        ? Uni.createFrom().nullItem()
        : SyncJob.<SyncJob>find("directoryId = ?1 and status = 'BLOCKED' order by startedAt desc", tx.directoryId).firstResult();
    return current
        .chain(
            blocked -> {
              tx.knownUnblocked = blocked == null;
              if (blocked != null) {
                Uni<SyncJob> hold =
                    JobKind.PUSH.name().equals(blocked.kind)
                        ? Uni.createFrom().item(blocked)
                        : pushHold(tx, "held while job " + blocked.id + " is blocked");
                return applier
                    .classify(tx, c.type().type(), resourceId, c.json())
                    .chain(action -> hold.chain(job -> stage(job, c, resourceId, action)))
                    .replaceWith(true);
              }
              if (!tx.rules.rules().thresholds().enabled()) {
                return Uni.createFrom().item(false);
              }
              return applier
                  .classify(tx, c.type().type(), resourceId, c.json())
                  .chain(
                      action -> {
                        if (action != ThresholdAction.DELETED) {
                          return Uni.createFrom().item(false);
                        }
                        return windowExceeded(tx)
                            .chain(
                                reason -> {
                                  if (reason == null) {
                                    return recordPushDeletion(tx).replaceWith(false);
                                  }
                                  return pushHold(tx, reason)
                                      .call(job -> audit(tx.tenantId, SYSTEM, "sync_job.blocked", job.id, Map.of("reasons", List.of(reason))))
                                      .chain(job -> stage(job, c, resourceId, action))
                                      .replaceWith(true);
                                });
                      });
            });
  }

  private Uni<String> windowExceeded(DirectoryTx tx) {
    var t = tx.rules.rules().thresholds();
    Instant since = Instant.now().minus(t.window());
    return Panache.getSession()
        .chain(
            s ->
                s.createNativeQuery("select count(*) from push_deletion where directory_id = :d and at > :since", Long.class)
                    .setParameter("d", tx.directoryId)
                    .setParameter("since", since)
                    .getSingleResult())
        .chain(
            recent ->
                population(tx.directoryId)
                    .map(
                        pop -> {
                          long allowed = t.windowDeletions().allowed(pop);
                          return recent + 1 > allowed
                              ? "more than " + allowed + " deletions within " + t.window() + " (population " + pop + ")"
                              : null;
                        }));
  }

  private Uni<Void> recordPushDeletion(DirectoryTx tx) {
    return Panache.getSession()
        .chain(s -> s.createNativeQuery("insert into push_deletion (directory_id) values (:d)").setParameter("d", tx.directoryId).executeUpdate())
        .replaceWithVoid();
  }

  private Uni<SyncJob> pushHold(DirectoryTx tx, String reason) {
    tx.knownUnblocked = false;
    return newJob(tx, "push-" + UUID.randomUUID(), JobKind.PUSH, JobStatus.BLOCKED, null, null)
        .invoke(job -> {
          job.reason = reason;
          Log.warnf("directory %s paused: %s (job %s)", tx.directoryId, reason, job.id);
        });
  }

  /** A polled job finished listing: plan, check thresholds, then apply or block. */
  public Uni<Void> completed(DirectoryTx tx, SyncJobCompleted c) {
    return SyncJob.<SyncJob>findById(c.jobId())
        .chain(job -> job != null ? Uni.createFrom().item(job) : newJob(tx, c.jobId(), JobKind.POLLED, JobStatus.RUNNING, c.mode(), c.connectionId()))
        .chain(
            job -> {
              if (!JobStatus.RUNNING.name().equals(job.status)) {
                return Uni.createFrom().voidItem(); // a re-sent completion of a decided job
              }
              if (c.mode() != null) {
                job.mode = c.mode().name();
              }
              job.completedAt = c.completedAt() == null ? Instant.now() : c.completedAt();
              boolean complete = SyncMode.COMPLETE.name().equals(job.mode);
              String jobId = job.id;
              return plan(tx, jobId, complete)
                  .chain(
                      planned ->
                          population(tx.directoryId)
                              .chain(pop -> olderBlocked(tx.directoryId, jobId)
                                  .chain(older -> SyncJob.<SyncJob>findById(jobId).chain(fresh -> decide(tx, fresh, planned, pop, complete, older)))));
            });
  }

  private Uni<Void> decide(
      DirectoryTx tx, SyncJob job, Map<ThresholdAction, Long> planned, long population, boolean complete, SyncJob older) {
    ThresholdVerdict verdict = ThresholdVerdict.evaluate(tx.rules.rules().thresholds(), planned, population, complete);
    Map<String, Object> plan = new LinkedHashMap<>();
    planned.forEach((a, n) -> plan.put(a.name().toLowerCase(), n));
    plan.put("population", population);
    List<String> reasons = new java.util.ArrayList<>(verdict.reasons());
    if (older != null) {
      reasons.add("job " + older.id + " of this directory is blocked");
    }
    plan.put("reasons", reasons);
    job.planned = EventJson.write(plan);
    if (!reasons.isEmpty()) {
      job.status = JobStatus.BLOCKED.name();
      tx.knownUnblocked = false;
      job.reason = String.join("; ", reasons);
      Log.warnf("sync job %s of directory %s blocked: %s", job.id, tx.directoryId, job.reason);
      return audit(tx.tenantId, SYSTEM, "sync_job.blocked", job.id, plan);
    }
    return applyStaged(tx, job.id).chain(counters -> finish(job.id, JobStatus.COMPLETED, counters, null));
  }

  /** The changes a job would make, counted per action; a complete sync also stages deletions of what it did not see. */
  private Uni<Map<ThresholdAction, Long>> plan(DirectoryTx tx, String jobId, boolean complete) {
    Map<ThresholdAction, Long> counts = new EnumMap<>(ThresholdAction.class);
    Uni<Void> unseen = complete ? stageUnseen(tx, jobId) : Uni.createFrom().voidItem();
    return unseen
        .chain(() -> forEachStaged(tx, jobId, staged -> applier
            .classify(tx, staged.type, staged.resourceId, staged.payload)
            .invoke(action -> {
              staged.action = action == null ? null : action.name();
              if (action != null) {
                counts.merge(action, 1L, Long::sum);
              }
            })
            .replaceWithVoid()))
        .replaceWith(counts);
  }

  private Uni<Void> stageUnseen(DirectoryTx tx, String jobId) {
    String sql =
        "insert into staged_change (job_id, event_id, type, resource_id, action, payload)"
            + " select :job, gen_random_uuid(), :unseen, l.resource_id, 'DELETED', '{}' from source_link l"
            + " where l.directory_id = :d and l.kind = :kind and l.in_scope and not exists (select 1 from staged_change s"
            + " where s.job_id = :job and s.resource_id = l.resource_id and s.type in (:up, :del))";
    return Panache.getSession()
        .chain(s -> s.flush().replaceWith(s))
        .chain(
            s ->
                s.createNativeQuery(sql)
                    .setParameter("job", jobId)
                    .setParameter("unseen", ChangeApplier.UNSEEN_USER)
                    .setParameter("d", tx.directoryId)
                    .setParameter("kind", SourceLink.USER)
                    .setParameter("up", EventType.SOURCE_USER_UPSERTED.type())
                    .setParameter("del", EventType.SOURCE_USER_DELETED.type())
                    .executeUpdate()
                    .chain(
                        () ->
                            s.createNativeQuery(sql)
                                .setParameter("job", jobId)
                                .setParameter("unseen", ChangeApplier.UNSEEN_GROUP)
                                .setParameter("d", tx.directoryId)
                                .setParameter("kind", SourceLink.GROUP)
                                .setParameter("up", EventType.SOURCE_GROUP_UPSERTED.type())
                                .setParameter("del", EventType.SOURCE_GROUP_DELETED.type())
                                .executeUpdate()))
        .replaceWithVoid();
  }

  /**
   * Applies a job's staged changes in order, page by page (the session is flushed and cleared
   * between pages so a large job does not hold every entity), then discards them. Answers the counters.
   */
  public Uni<Counters> applyStaged(DirectoryTx tx, String jobId) {
    Counters counters = new Counters();
    tx.counters = counters;
    return forEachStaged(
            tx,
            jobId,
            staged -> {
              Uni<Outcome> outcome;
              if (staged.type.startsWith("dsync.reconciler.unseen.")) {
                outcome = applier.applyUnseen(tx, staged.type, staged.resourceId);
              } else {
                SourceChange c = SourceChange.of(staged.eventId, staged.type, tx.tenantId, tx.directoryId, staged.payload);
                outcome = applier.apply(tx, c);
              }
              return outcome.invoke(counters::add).replaceWithVoid();
            })
        .chain(
            () ->
                Panache.getSession()
                    .chain(s -> s.createNativeQuery("delete from staged_change where job_id = :j").setParameter("j", jobId).executeUpdate()))
        .replaceWith(counters);
  }

  /** Visits staged changes in order, a page at a time, appending emitted events and clearing the session between pages. */
  private Uni<Void> forEachStaged(DirectoryTx tx, String jobId, java.util.function.Function<StagedChange, Uni<Void>> visit) {
    return page(tx, jobId, 0L, visit);
  }

  private Uni<Void> page(DirectoryTx tx, String jobId, long after, java.util.function.Function<StagedChange, Uni<Void>> visit) {
    return StagedChange.<StagedChange>find("jobId = ?1 and id > ?2 order by id", jobId, after)
        .range(0, config.applyPageSize() - 1)
        .list()
        .chain(
            rows -> {
              if (rows.isEmpty()) {
                return Uni.createFrom().voidItem();
              }
              Uni<Void> chain = Steps.forEach(rows, visit::apply);
              long last = rows.get(rows.size() - 1).id;
              if (rows.size() < config.applyPageSize()) {
                return chain;
              }
              // Events emitted so far go to the outbox now (same transaction, same order), so a
              // large job holds at most a page of them in memory.
              return chain
                  .chain(() -> Steps.withoutAutoFlush(() -> outbox.appendAll(tx.drain())))
                  .chain(() -> Panache.getSession().chain(s -> s.flush().invoke(s::clear)))
                  .chain(() -> page(tx, jobId, last, visit));
            });
  }

  public Uni<Void> failed(DirectoryTx tx, SyncJobFailed f) {
    return SyncJob.<SyncJob>findById(f.jobId())
        .chain(job -> job != null ? Uni.createFrom().item(job) : newJob(tx, f.jobId(), JobKind.POLLED, JobStatus.RUNNING, f.mode(), f.connectionId()))
        .chain(
            job -> {
              if (!JobStatus.RUNNING.name().equals(job.status)) {
                return Uni.createFrom().voidItem();
              }
              job.status = JobStatus.FAILED.name();
              job.reason = f.reason();
              job.completedAt = f.failedAt() == null ? Instant.now() : f.failedAt();
              return discard(job.id);
            });
  }

  /** Marks a job decided with its final counters. */
  public Uni<Void> finish(String jobId, JobStatus status, Counters counters, String decidedBy) {
    return SyncJob.<SyncJob>findById(jobId)
        .invoke(
            job -> {
              job.status = status.name();
              if (counters != null) {
                Map<String, Long> merged = new LinkedHashMap<>(readCounters(job.counters));
                counters.toMap().forEach((k, v) -> merged.merge(k, v, Long::sum));
                job.counters = EventJson.write(merged);
              }
              if (job.completedAt == null) {
                job.completedAt = Instant.now();
              }
              if (decidedBy != null) {
                job.decidedBy = decidedBy;
                job.decidedAt = Instant.now();
              }
            })
        .replaceWithVoid();
  }

  public Uni<Void> discard(String jobId) {
    return Panache.getSession()
        .chain(s -> s.createNativeQuery("delete from staged_change where job_id = :j").setParameter("j", jobId).executeUpdate())
        .replaceWithVoid();
  }

  /** The oldest other blocked job of the directory, which must be decided first; null if none. */
  public Uni<SyncJob> olderBlocked(String directoryId, String jobId) {
    // Only jobs started before this one: a push hold opened while this job was blocked is newer and
    // waits for it, it does not block it.
    return SyncJob.<SyncJob>findById(jobId)
        .chain(job -> SyncJob.<SyncJob>find(
                "directoryId = ?1 and status = 'BLOCKED' and id <> ?2 and startedAt <= ?3 order by startedAt",
                directoryId, jobId, job == null ? java.time.Instant.now() : job.startedAt)
            .firstResult());
  }

  private Uni<Long> population(String directoryId) {
    return SourceLink.count("directoryId = ?1 and inScope = true", directoryId);
  }

  private Uni<Void> stage(SyncJob job, SourceChange c, String resourceId, ThresholdAction action) {
    StagedChange s = new StagedChange();
    s.jobId = job.id;
    s.eventId = c.eventId();
    s.type = c.type().type();
    s.resourceId = resourceId;
    s.payload = c.json();
    s.action = action == null ? null : action.name();
    return s.persist().replaceWithVoid();
  }

  private Uni<SyncJob> newJob(DirectoryTx tx, String id, JobKind kind, JobStatus status, SyncMode mode, String connectionId) {
    SyncJob job = new SyncJob();
    job.id = id;
    job.tenantId = tx.tenantId;
    job.directoryId = tx.directoryId;
    job.kind = kind.name();
    job.status = status.name();
    job.mode = mode == null ? null : mode.name();
    job.connectionId = connectionId;
    job.counters = EventJson.write(new Counters().toMap());
    job.startedAt = Instant.now();
    return job.persist();
  }

  public Uni<Void> audit(String tenantId, Actor actor, String action, String jobId, Map<String, Object> details) {
    AuditRecord record = new AuditRecord(actor, action, "sync_job", jobId, AuditRecord.Outcome.SUCCESS, Instant.now(), details);
    return outbox.append(OutboxMessage.of(EventType.AUDIT_RECORD, tenantId, tenantId, null, jobId, record)).replaceWithVoid();
  }

  static Map<String, Long> readCounters(String json) {
    try {
      return json == null ? Map.of() : EventJson.mapper().readValue(json, new TypeReference<Map<String, Long>>() {});
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
