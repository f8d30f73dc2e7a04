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
import dev.dsync.reconciler.directories.Directories;
import dev.dsync.reconciler.identities.SourceLink;
import dev.dsync.reconciler.pipeline.ChangeApplier;
import dev.dsync.reconciler.pipeline.Counters;
import dev.dsync.reconciler.pipeline.DirectoryTx;
import dev.dsync.reconciler.pipeline.Outcome;
import dev.dsync.reconciler.pipeline.Reconciler;
import dev.dsync.reconciler.pipeline.RejectedChange;
import dev.dsync.reconciler.pipeline.SourceChange;
import dev.dsync.reconciler.pipeline.Steps;
import dev.dsync.reconciler.thresholds.ThresholdAction;
import dev.dsync.reconciler.thresholds.ThresholdVerdict;
import io.vertx.mutiny.sqlclient.Tuple;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
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
  private final Directories directories;
  private final ReconcilerConfig config;
  private final io.vertx.mutiny.sqlclient.Pool pool;

  public SyncJobService(ChangeApplier applier, Outbox outbox, Directories directories, ReconcilerConfig config, io.vertx.mutiny.sqlclient.Pool pool) {
    this.applier = applier;
    this.outbox = outbox;
    this.directories = directories;
    this.config = config;
    this.pool = pool;
  }

  /** The staged columns every read of a row takes, in this order; a 9th column, if any, says where its changes start. */
  private static final String STAGED_COLUMNS = "id, event_id, type, resource_id, action, payload, batch, actions";

  /** A stored row of {@link #STAGED_COLUMNS}: its changes, in order (a batch row's expanded). */
  private static List<StagedChange> changesOf(io.vertx.mutiny.sqlclient.Row r, String jobId) {
    StagedChange row = new StagedChange();
    row.id = r.getLong(0);
    row.jobId = jobId;
    row.eventId = r.getUUID(1);
    row.type = r.getString(2);
    row.resourceId = r.getString(3);
    row.action = r.getString(4);
    row.payload = r.getString(5);
    var batch = r.getBuffer(6);
    row.batch = batch == null ? null : batch.getBytes();
    List<StagedChange> changes = StagedBatch.expand(row);
    String[] actions = batch == null ? null : r.getArrayOfStrings(7);
    if (actions != null) {
      for (int i = 0; i < Math.min(actions.length, changes.size()); i++) {
        changes.get(i).action = actions[i];
      }
    }
    return changes;
  }

  /**
   * A page's rows: in order after the given id, while the changes they have left fit the page's size
   * (the first row always). A batch row holds many changes, a single row one; {@code $4}, if not 0,
   * is a batch row a page before this one ended inside, and {@code $5} how many of its changes that
   * page took, which count if the row's stored {@code applied} is behind (a read ahead runs before
   * that page commits); a stored count that is ahead (another replica applied a page of the job
   * since) wins.
   */
  private static final String STAGED_PAGE =
      "select " + STAGED_COLUMNS + ", skip from (select r.*,"
          + " sum(coalesce(changes, 1) - skip) over (order by id) - (coalesce(changes, 1) - skip) as before from ("
          + " select " + STAGED_COLUMNS + ", changes, case when id = $4 then greatest(applied, $5) else applied end as skip"
          + " from staged_change where job_id = $1 and id > $2 order by id limit $3) r) t where before < $3 order by id";

  /**
   * A staged change as a page uses it: the change (a batch row's share its row's id), parsed (or
   * why it could not be), its index in its row, and whether it is its row's last.
   */
  private record Staged(StagedChange row, SourceChange change, RuntimeException unreadable, int index, boolean lastInRow) {}

  /** The next page of an applying job, read and parsed while the page before it applies. */
  private record Ahead(String jobId, long after, long partialRow, int partialSkip, int size, Uni<List<Staged>> rows) {}

  private final java.util.concurrent.atomic.AtomicReference<Ahead> ahead = new java.util.concurrent.atomic.AtomicReference<>();

  public Uni<Void> started(DirectoryTx tx, SyncJobStarted s) {
    return tx.store.job(s.jobId())
        .chain(job -> job != null ? Uni.createFrom().item(job) : newJob(tx, s.jobId(), JobKind.POLLED, JobStatus.RUNNING, s.mode(), s.connectionId()))
        .invoke(job -> {
          job.mode = s.mode() == null ? job.mode : s.mode().name();
          job.connectionId = s.connectionId();
          // The source's start, on the clock of its completion: the job's duration is the source's
          // (taken when the reconciler read the start, a job published in one burst lasted a
          // negative time).
          if (s.startedAt() != null) {
            job.startedAt = s.startedAt();
          }
          tx.store.save(job);
        })
        .replaceWithVoid();
  }

  /** Stages a change of a running job; false if the job is not running (the change is then applied as a push). */
  public Uni<Boolean> stageIfRunning(DirectoryTx tx, SourceChange c, String jobId, String resourceId) {
    return tx.store.job(jobId)
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
                    stage(tx, running, c, resourceId, null, true);
                    return Uni.createFrom().item(true);
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
        : tx.store.jobs("directory_id = $1 and status = 'BLOCKED'", tx.directoryId).map(blocked -> blocked.isEmpty() ? null : blocked.get(blocked.size() - 1));
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
                    .classify(tx, c)
                    .chain(action -> hold.invoke(job -> stage(tx, job, c, resourceId, action, false)))
                    .replaceWith(true);
              }
              if (!tx.rules.rules().thresholds().enabled()) {
                return Uni.createFrom().item(false);
              }
              return applier
                  .classify(tx, c)
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
                                      .invoke(job -> {
                                        audit(tx, SYSTEM, "sync_job.blocked", job.id, Map.of("reasons", List.of(reason)));
                                        stage(tx, job, c, resourceId, action, false);
                                      })
                                      .replaceWith(true);
                                });
                      });
            });
  }

  private Uni<String> windowExceeded(DirectoryTx tx) {
    var t = tx.rules.rules().thresholds();
    Instant since = Instant.now().minus(t.window());
    return tx.store.connection()
        .preparedQuery("select count(*) from push_deletion where directory_id = $1 and at > $2")
        .execute(Tuple.of(tx.directoryId, since.atOffset(java.time.ZoneOffset.UTC)))
        .map(rows -> rows.iterator().next().getLong(0))
        .chain(
            recent ->
                population(tx)
                    .map(
                        pop -> {
                          long allowed = t.windowDeletions().allowed(pop);
                          return recent + 1 > allowed
                              ? "more than " + allowed + " deletions within " + t.window() + " (population " + pop + ")"
                              : null;
                        }));
  }

  private Uni<Void> recordPushDeletion(DirectoryTx tx) {
    return tx.store.connection().preparedQuery("insert into push_deletion (directory_id) values ($1)").execute(Tuple.of(tx.directoryId)).replaceWithVoid();
  }

  private Uni<SyncJob> pushHold(DirectoryTx tx, String reason) {
    tx.knownUnblocked = false;
    return newJob(tx, "push-" + UUID.randomUUID(), JobKind.PUSH, JobStatus.BLOCKED, null, null)
        .invoke(job -> {
          job.reason = reason;
          tx.store.save(job);
          Log.warnf("directory %s paused: %s (job %s)", tx.directoryId, reason, job.id);
        });
  }

  /** A polled job finished listing: plan, check thresholds, then apply or block. */
  public Uni<Void> completed(DirectoryTx tx, SyncJobCompleted c) {
    return tx.store.job(c.jobId())
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
              tx.store.save(job);
              boolean complete = SyncMode.COMPLETE.name().equals(job.mode);
              String jobId = job.id;
              long start = System.nanoTime();
              return population(tx).chain(pop -> olderBlocked(tx, jobId).chain(older -> {
                // An initial load (nothing of the directory managed yet) can only insert, and inserts
                // are not limited there: classifying every change would decide nothing. Its plan is
                // what was staged; the job's counters tell what it created.
                boolean initialLoad = pop == 0 && older == null;
                Uni<Map<String, Object>> planned = initialLoad ? stagedCounts(tx, jobId) : plan(tx, jobId, complete).map(SyncJobService::byAction);
                return planned
                    .invoke(p -> Log.infof("sync job %s of directory %s planned in %d ms: %s", jobId, tx.directoryId,
                        (System.nanoTime() - start) / 1_000_000, p))
                    .chain(p -> tx.store.job(jobId).chain(fresh -> decide(tx, fresh, p, pop, complete, older)));
              }));
            });
  }

  private static Map<String, Object> byAction(Map<ThresholdAction, Long> planned) {
    Map<String, Object> plan = new LinkedHashMap<>();
    planned.forEach((a, n) -> plan.put(a.name().toLowerCase(), n));
    return plan;
  }

  /** An initial load's plan: its staged changes counted by kind, no classification. */
  private static Uni<Map<String, Object>> stagedCounts(DirectoryTx tx, String jobId) {
    return tx.store.query("select type, sum(coalesce(changes, 1) - applied)::bigint from staged_change where job_id = $1 group by type order by type", jobId)
        .map(rows -> {
          Map<String, Long> staged = new LinkedHashMap<>();
          rows.forEach(r -> staged.put(r.getString(0), r.getLong(1)));
          Map<String, Object> plan = new LinkedHashMap<>();
          plan.put("initialLoad", true);
          plan.put("staged", staged);
          return plan;
        });
  }

  /**
   * {@code planned}: counts per action (lower-case action names), or an initial load's staged
   * counts, which no threshold limits.
   */
  private Uni<Void> decide(
      DirectoryTx tx, SyncJob job, Map<String, Object> planned, long population, boolean complete, SyncJob older) {
    Map<ThresholdAction, Long> counts = new EnumMap<>(ThresholdAction.class);
    for (ThresholdAction a : ThresholdAction.values()) {
      if (planned.get(a.name().toLowerCase()) instanceof Long n) {
        counts.put(a, n);
      }
    }
    ThresholdVerdict verdict = ThresholdVerdict.evaluate(tx.rules.rules().thresholds(), counts, population, complete);
    Map<String, Object> plan = new LinkedHashMap<>(planned);
    plan.put("population", population);
    List<String> reasons = new java.util.ArrayList<>(verdict.reasons());
    if (older != null) {
      reasons.add("job " + older.id + " of this directory is blocked");
    }
    plan.put("reasons", reasons);
    job.planned = EventJson.write(plan);
    job.plannedAt = Instant.now();
    tx.store.save(job);
    if (!reasons.isEmpty()) {
      job.status = JobStatus.BLOCKED.name();
      tx.knownUnblocked = false;
      job.reason = String.join("; ", reasons);
      Log.warnf("sync job %s of directory %s blocked: %s", job.id, tx.directoryId, job.reason);
      audit(tx, SYSTEM, "sync_job.blocked", job.id, plan);
      return recordPlannedActions(tx, job.id);
    }
    return startApplying(tx, job, null);
  }

  /**
   * Marks a decided job APPLYING and names it on the directory, which then takes no other change
   * until {@link ApplyingJobs} has applied the job's pages (each in a transaction of its own).
   */
  public Uni<Void> startApplying(DirectoryTx tx, SyncJob job, String decidedBy) {
    job.status = JobStatus.APPLYING.name();
    if (decidedBy != null) {
      job.decidedBy = decidedBy;
      job.decidedAt = Instant.now();
    }
    tx.store.save(job);
    return directories.applying(tx.store.connection(), tx.directoryId, job.id);
  }

  /**
   * Applies the next page of an APPLYING job in the caller's transaction (which holds the directory
   * for this job): its changes, their events, the job's counters so far, and the removal of the
   * page's staged rows commit together, so a crash between pages resumes exactly after the last
   * committed one. Answers true once the job is COMPLETED (or was finished by someone else). The
   * page takes at most {@code size} changes (1: to find a change that cannot apply), after the
   * rows {@code cursor} says committed pages applied.
   */
  public Uni<Boolean> applyPage(DirectoryTx tx, String jobId, int size, StagedCursor cursor) {
    // Nothing of an earlier, failed page may count as committed, whatever this one finds (the
    // caller clears firstRead before the transaction, which may fail before this runs).
    cursor.through = cursor.committed;
    cursor.throughRow = cursor.partialRow;
    cursor.throughSkip = cursor.partialSkip;
    return tx.store.freshJob(jobId).chain(job -> {
      if (job == null || !JobStatus.APPLYING.name().equals(job.status)) {
        return Uni.createFrom().item(true);
      }
      Counters counters = new Counters();
      tx.counters = counters;
      long from = cursor.committed;
      long[] after = {from, cursor.partialRow, cursor.partialSkip};
      return page(tx, jobId, after, size, first -> {
            cursor.firstRead = first.row().id;
            cursor.firstIndex = first.index();
          }, (staged, change) -> {
            Uni<Outcome> outcome =
                change == null ? applier.applyUnseen(tx, staged.type, staged.resourceId) : applier.apply(tx, change);
            return outcome.invoke(counters::add).replaceWithVoid();
          }, true, false)
          .call(() -> {
            cursor.through = after[0];
            cursor.throughRow = after[1];
            cursor.throughSkip = (int) after[2];
            Uni<?> applied = after[0] == from
                ? Uni.createFrom().voidItem()
                : tx.store.query("delete from staged_change where job_id = $1 and id > $2 and id <= $3", jobId, from, after[0]);
            // A page that ended inside a batch row: the row keeps the changes after it.
            return after[1] == 0L
                ? applied
                : applied.chain(() -> tx.store.query("update staged_change set applied = $2 where id = $1", after[1], (int) after[2]));
          })
          .chain(more -> {
            if (more) {
              return addCounters(tx, jobId, counters).replaceWith(false);
            }
            return finish(tx, jobId, JobStatus.COMPLETED, counters, null)
                .chain(() -> directories.applying(tx.store.connection(), tx.directoryId, null))
                .replaceWith(true);
          });
    });
  }

  /** The changes a job would make, counted per action; a complete sync also stages deletions of what it did not see. */
  private Uni<Map<ThresholdAction, Long>> plan(DirectoryTx tx, String jobId, boolean complete) {
    Map<ThresholdAction, Long> counts = new EnumMap<>(ThresholdAction.class);
    // A group's membership arrives in several changes (a listing's pages, a large delta split in
    // parts): one group updated counts once.
    java.util.Set<String> groupsUpdated = new java.util.HashSet<>();
    Uni<Void> unseen = complete ? stageUnseen(tx, jobId) : Uni.createFrom().voidItem();
    return unseen
        .chain(() -> forEachStaged(tx, jobId, (staged, change) -> classify(tx, change)
            .invoke(action -> {
              if (action == ThresholdAction.UPDATED && change != null && change.type() == EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED
                  && !groupsUpdated.add(change.data(dev.dsync.events.source.GroupMembershipChanged.class).groupId())) {
                return;
              }
              if (action != null) {
                counts.merge(action, 1L, Long::sum);
              }
            })
            .replaceWithVoid(), false))
        .replaceWith(counts);
  }

  /** null change: a deletion of something a complete sync did not list. */
  private Uni<ThresholdAction> classify(DirectoryTx tx, SourceChange change) {
    // Planning only reads. A change that cannot be classified cannot be applied either: it counts
    // as no action here and is taken out as failed when the job is applied (ApplyingJobs). A
    // database error is not the change's here (a read refused aborts the transaction): retried.
    return change == null
        ? Uni.createFrom().item(ThresholdAction.DELETED)
        : applier.classify(tx, change).onFailure(f -> Reconciler.poison(f) && !Reconciler.refusedByDatabase(f)).recoverWithNull();
  }

  /**
   * Stores each pending change's planned action, for the API's list of a blocked job's changes: a
   * single row's in its {@code action}, a batch row's in its {@code actions}, in the row's order.
   * A second pass only for a blocked job: a job within thresholds is applied and its rows deleted,
   * so writing actions for it would be a wasted update per change.
   */
  private Uni<Void> recordPlannedActions(DirectoryTx tx, String jobId) {
    return forEachStaged(tx, jobId, (staged, change) -> classify(tx, change)
        .invoke(action -> staged.action = action == null ? null : action.name())
        .replaceWithVoid(), true);
  }

  /**
   * Stages a deletion of each in-scope resource of a kind that a complete job did not list ($1 job,
   * $2 the deletion's type, $3 directory, $4 kind, $5 and $6 the types that list one). A batch
   * row's resource ids are an array: the check joins all of the job's listed ids once (an anti
   * join), never a scan of them per resource of the directory.
   */
  static final String STAGE_UNSEEN =
      "insert into staged_change (job_id, event_id, type, resource_id, action, payload)"
          + " select $1, gen_random_uuid(), $2, l.resource_id, 'DELETED', '{}' from source_link l"
          + " where l.directory_id = $3 and l.kind = $4 and l.in_scope and not exists (select 1 from staged_change s"
          + " where s.job_id = $1 and s.resource_id = l.resource_id and s.type in ($5, $6))"
          + " and not exists (select 1 from staged_change s cross join unnest(s.resource_ids) as listed(resource_id)"
          + " where s.job_id = $1 and s.type in ($5, $6) and listed.resource_id = l.resource_id)";

  private Uni<Void> stageUnseen(DirectoryTx tx, String jobId) {
    return tx.store.query(STAGE_UNSEEN, jobId, ChangeApplier.UNSEEN_USER, tx.directoryId, SourceLink.USER,
            EventType.SOURCE_USER_UPSERTED.type(), EventType.SOURCE_USER_DELETED.type())
        .chain(() -> tx.store.query(STAGE_UNSEEN, jobId, ChangeApplier.UNSEEN_GROUP, tx.directoryId, SourceLink.GROUP,
            EventType.SOURCE_GROUP_UPSERTED.type(), EventType.SOURCE_GROUP_DELETED.type()))
        .replaceWithVoid();
  }

  /**
   * Visits staged changes in order, a page at a time: what the page will look up is read first,
   * emitted events go to the outbox and the transaction's rows are written and forgotten after each
   * page, so a large job holds one page in memory. {@code recordActions}: store each change's planned action.
   */
  private Uni<Void> forEachStaged(DirectoryTx tx, String jobId, java.util.function.BiFunction<StagedChange, SourceChange, Uni<Void>> visit, boolean recordActions) {
    // Pages are repeated subscriptions, not nested ones: a nested chain would keep every finished
    // page's rows reachable until the last page (a 20,000-change job ran out of a 384 MiB heap).
    long[] after = {0L, 0L, 0L};
    return Multi.createBy().repeating().uni(() -> page(tx, jobId, after, config.applyPageSize(), first -> {}, visit, false, recordActions)).until(more -> !more)
        .collect().last().replaceWithVoid();
  }

  /** One page after {@code after[0]} (advanced); answers whether a further page may follow. */
  private Uni<Boolean> page(
      DirectoryTx tx, String jobId, long[] after, int size, java.util.function.Consumer<Staged> firstRead,
      java.util.function.BiFunction<StagedChange, SourceChange, Uni<Void>> visit, boolean applying, boolean recordActions) {
    Ahead next = ahead.getAndSet(null);
    long from = after[0];
    long partialRow = after[1];
    int partialSkip = (int) after[2];
    java.util.function.Supplier<Uni<List<Staged>>> readHere =
        () -> tx.store.query(STAGED_PAGE, jobId, from, size, partialRow, partialSkip)
            .map(rowSet -> staged(rowSet, jobId, tx.tenantId, tx.directoryId, size, config.pageWeight()));
    Uni<List<Staged>> read;
    if (!(applying && next != null && next.jobId().equals(jobId) && next.after() == from && next.partialRow() == partialRow
        && next.partialSkip() == partialSkip && next.size() == size)) {
      read = readHere.get();
    } else {
      // Back on this page's context (the rows may have been parsed on a worker thread); a read
      // ahead that failed is read again here rather than failing the page.
      io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
      Uni<List<Staged>> taken = next.rows();
      if (context != null) {
        taken = taken.emitOn(command -> context.runOnContext(v -> command.run()));
      }
      // Read before the page before it committed: another applier of the job (a replica's sweep)
      // may have applied those changes since. Its page would have begun at their first row, so that
      // row, still there with as many changes applied as when read, says they are still pending.
      read = taken
          .chain(rows -> rows.isEmpty()
              ? Uni.createFrom().item(rows)
              : tx.store.query("select applied from staged_change where id = $1", rows.get(0).row().id)
                  .chain(found -> found.iterator().hasNext() && found.iterator().next().getInteger(0) == rows.get(0).index()
                      ? Uni.createFrom().item(rows)
                      : readHere.get()))
          .onFailure().recoverWithUni(failure -> readHere.get());
    }
    return read
        .chain(
            stagedRows -> {
              if (stagedRows.isEmpty()) {
                return Uni.createFrom().item(false);
              }
              List<StagedChange> rows = new java.util.ArrayList<>(stagedRows.size());
              stagedRows.forEach(r -> rows.add(r.row()));
              firstRead.accept(stagedRows.get(0));
              // Each staged change is parsed once per page (null: a deletion of something a complete sync did not list).
              // The page ends early before a change that would take it past the weight limit; the
              // rows after that are read again by the next page.
              // The last row read may hold more changes than the page takes.
              boolean full = rows.size() >= size;
              if (rows.size() > size) {
                rows.subList(size, rows.size()).clear();
              }
              List<SourceChange> parsed = new java.util.ArrayList<>();
              List<SourceChange> changes = new java.util.ArrayList<>();
              List<String> unseen = new java.util.ArrayList<>();
              long weight = 0;
              for (int i = 0; i < rows.size(); i++) {
                StagedChange s = rows.get(i);
                if (!s.type.startsWith("dsync.reconciler.unseen.")) {
                  if (stagedRows.get(i).unreadable() != null) {
                    throw stagedRows.get(i).unreadable();
                  }
                  SourceChange change = stagedRows.get(i).change();
                  if (change == null) { // past the weight its rows were parsed for
                    change = SourceChange.of(s.eventId, s.type, tx.tenantId, tx.directoryId, s.payload);
                  }
                  if (i > 0 && weight + change.weight() > config.pageWeight()) {
                    rows.subList(i, rows.size()).clear();
                    full = true;
                    break;
                  }
                  weight += change.weight();
                  parsed.add(change);
                  changes.add(change);
                } else {
                  weight++;
                  parsed.add(null);
                  String kind = ChangeApplier.UNSEEN_USER.equals(s.type) ? SourceLink.USER : SourceLink.GROUP;
                  unseen.add(SourceLink.key(tx.directoryId, kind, s.resourceId));
                }
              }
              // Where the next page starts: after the last row taken whole, and inside the row the
              // page ended in, if it ended inside one.
              Staged last = stagedRows.get(rows.size() - 1);
              if (last.lastInRow()) {
                after[0] = last.row().id;
                after[1] = 0L;
                after[2] = 0L;
              } else {
                int firstOfLast = rows.size() - 1;
                while (firstOfLast > 0 && rows.get(firstOfLast - 1).id.equals(last.row().id)) {
                  firstOfLast--;
                }
                after[0] = firstOfLast == 0 ? from : rows.get(firstOfLast - 1).id;
                after[1] = last.row().id;
                after[2] = last.index() + 1L;
              }
              if (applying && full) {
                readAhead(jobId, after[0], after[1], (int) after[2], size, tx.tenantId, tx.directoryId);
              }
              List<List<Integer>> parts = parts(parsed);
              List<Uni<Void>> written = new java.util.ArrayList<>();
              Throwable[] aheadFailed = {null};
              Uni<Void> chain = applier.prefetch(tx, changes, unseen, applying)
                  .chain(() -> Steps.forEach(parts, part -> Steps.forEach(part, i -> visit.apply(rows.get(i), parsed.get(i)))
                      .invoke(() -> {
                        if (part != parts.get(parts.size() - 1)) {
                          written.add(writeAhead(tx, aheadFailed));
                        }
                      })));
              if (recordActions) {
                chain = chain.chain(() -> recordActions(tx, stagedRows.subList(0, rows.size())));
              }
              // Events emitted so far go to the outbox now (same transaction, same order), sent
              // together with the page's last writes rather than after their answers.
              chain = chain.chain(() -> {
                written.add(tx.store.flushAndForget());
                tx.forgetMapped();
                written.add(outbox.appendAll(tx.store.connection(), tx.drain()));
                return Uni.join().all(written).andFailFast().replaceWithVoid();
              });
              // A write sent ahead that failed aborted the transaction: what failed after it
              // ("current transaction is aborted") is reported under its cause, not instead of it.
              chain = chain.onFailure().transform(f -> {
                Throwable first = aheadFailed[0];
                if (first == null || first == f) {
                  return f;
                }
                first.addSuppressed(f);
                return first;
              });
              return chain.replaceWith(full);
            });
  }

  /**
   * A page's staged rows, their changes parsed up to the first that takes the page past
   * {@code maxWeight} (the page ends before it; the rest are read again, and parsed, by the next
   * page). A change that cannot be parsed fails the page when the page reaches it.
   */
  private static List<Staged> staged(
      Iterable<io.vertx.mutiny.sqlclient.Row> rowSet, String jobId, String tenantId, String directoryId, int size, int maxWeight) {
    List<Staged> rows = new java.util.ArrayList<>();
    long weight = 0;
    for (Pending p : changesFrom(rowSet, jobId, size)) {
      StagedChange s = p.change();
      if (weight > maxWeight || s.type.startsWith("dsync.reconciler.unseen.")) {
        weight++;
        rows.add(new Staged(s, null, null, p.index(), p.lastInRow()));
        continue;
      }
      try {
        SourceChange change = SourceChange.of(s.eventId, s.type, tenantId, directoryId, s.payload);
        weight += change.weight();
        rows.add(new Staged(s, change, null, p.index(), p.lastInRow()));
      } catch (RuntimeException unreadable) {
        rows.add(new Staged(s, null, unreadable, p.index(), p.lastInRow()));
        weight = Long.MAX_VALUE / 2; // the page stops at it
      }
    }
    return rows;
  }

  /** A pending change and where it is: its row's id (in the change), its index in that row, and whether it is the row's last. */
  public record Pending(StagedChange change, int index, boolean lastInRow) {}

  /**
   * The changes of rows read through {@link #STAGED_PAGE}, each row's from where it starts (its
   * 9th column), at most {@code size}: the rest of the last row is the next page's.
   */
  private static List<Pending> changesFrom(Iterable<io.vertx.mutiny.sqlclient.Row> rowSet, String jobId, int size) {
    List<Pending> out = new java.util.ArrayList<>();
    for (var r : rowSet) {
      List<StagedChange> inRow = changesOf(r, jobId);
      for (int index = r.getInteger(8); index < inRow.size() && out.size() < size; index++) {
        out.add(new Pending(inRow.get(index), index, index == inRow.size() - 1));
      }
      if (out.size() >= size) {
        break;
      }
    }
    return out;
  }

  /**
   * Up to {@code size} of a job's pending changes in order, after row {@code after}; from change
   * {@code skip} of row {@code partialRow} if that is the first row after it (and no change of it
   * that a page applied). Only the rows that hold them are read.
   */
  public Uni<List<Pending>> pending(String jobId, long after, long partialRow, int skip, int size) {
    return pool.preparedQuery(STAGED_PAGE).execute(Tuple.of(jobId, after, size, partialRow, skip)).map(rowSet -> changesFrom(rowSet, jobId, size));
  }


  /**
   * Reads and parses a job's next page on a connection and a worker thread of their own while the
   * page before it applies: the rows of an applying job after the page being applied do not change
   * until their own page takes them. The page that finds it waiting for its job, position and size
   * takes it; any other (a page retried change by change, another job) reads its own.
   */
  private void readAhead(String jobId, long after, long partialRow, int partialSkip, int size, String tenantId, String directoryId) {
    Uni<List<Staged>> rows = pool.preparedQuery(STAGED_PAGE).execute(Tuple.of(jobId, after, size, partialRow, partialSkip))
        .emitOn(io.smallrye.mutiny.infrastructure.Infrastructure.getDefaultWorkerPool())
        .map(rowSet -> staged(rowSet, jobId, tenantId, directoryId, size, config.pageWeight()))
        .memoize().indefinitely();
    rows.subscribe().with(ok -> {}, failure -> Log.debugf("reading sync job %s's next page ahead failed (it is read in its page): %s", jobId, failure));
    ahead.set(new Ahead(jobId, after, partialRow, partialSkip, size, rows));
  }

  /** Changes a part holds at most, and the weight after which it ends. */
  private static final int PART_CHANGES = 100;
  private static final int PART_WEIGHT = 1_000;

  /**
   * A page's changes in parts (indexes into {@code parsed}), each part's writes sent while the
   * next part is worked out: a page was Java's work, then PostgreSQL's, each waiting for the other.
   */
  private static List<List<Integer>> parts(List<SourceChange> parsed) {
    List<Integer> indexes = java.util.stream.IntStream.range(0, parsed.size()).boxed().toList();
    return Steps.runs(indexes, i -> parsed.get(i) == null ? 1 : parsed.get(i).weight(), PART_CHANGES, PART_WEIGHT, i -> false);
  }

  /**
   * Sends the writes pending so far without waiting for their answer; the page waits for all of
   * them before it ends. The connection runs them in order ahead of anything sent later in the
   * transaction, and reads made meanwhile go through {@link dev.dsync.reconciler.pipeline.Store#query},
   * which sends pending writes first, so nothing reads around them. A failure aborts the
   * transaction and is reported by the page as the cause of whatever failed after it.
   */
  private static Uni<Void> writeAhead(DirectoryTx tx, Throwable[] failed) {
    Uni<Void> sent = tx.store.flush().memoize().indefinitely();
    sent.subscribe().with(ok -> {}, failure -> {
      if (failed[0] == null) {
        failed[0] = failure;
      }
    });
    return sent;
  }

  /** Writes a page's planned actions: single rows' in one statement, each batch row's run of them into its {@code actions}. */
  private static Uni<Void> recordActions(DirectoryTx tx, List<Staged> page) {
    List<Long> singleIds = new java.util.ArrayList<>();
    List<String> singleActions = new java.util.ArrayList<>();
    List<Tuple> runs = new java.util.ArrayList<>();
    for (int i = 0; i < page.size(); ) {
      StagedChange first = page.get(i).row();
      if (!first.inBatchRow) {
        singleIds.add(first.id);
        singleActions.add(first.action);
        i++;
        continue;
      }
      int end = i;
      while (end < page.size() && page.get(end).row().id.equals(first.id)) {
        end++;
      }
      String[] actions = page.subList(i, end).stream().map(s -> s.row().action).toArray(String[]::new);
      int from = page.get(i).index() + 1; // SQL arrays count from 1
      runs.add(Tuple.of(first.id, from, from + actions.length - 1, actions));
      i = end;
    }
    Uni<Void> singles = singleIds.isEmpty() ? Uni.createFrom().voidItem() : tx.store.connection()
        .preparedQuery("update staged_change s set action = u.action from unnest($1::bigint[], $2::text[]) as u(id, action) where s.id = u.id")
        .execute(Tuple.of(singleIds.toArray(Long[]::new), singleActions.toArray(String[]::new)))
        .replaceWithVoid();
    // A page may hold any part of a batch row: the run replaces its own positions, the row's other
    // positions (another page's, or not yet planned: null) are kept.
    return singles.chain(() -> runs.isEmpty() ? Uni.createFrom().voidItem() : tx.store.connection()
        .preparedQuery("update staged_change set actions = (select a[1:$2 - 1] || $4::text[] || a[$3 + 1:changes]"
            + " from (select coalesce(actions, array_fill(null::text, array[changes])) as a) f) where id = $1")
        .executeBatch(runs)
        .replaceWithVoid());
  }

  public Uni<Void> failed(DirectoryTx tx, SyncJobFailed f) {
    return tx.store.job(f.jobId())
        .chain(job -> job != null ? Uni.createFrom().item(job) : newJob(tx, f.jobId(), JobKind.POLLED, JobStatus.RUNNING, f.mode(), f.connectionId()))
        .chain(
            job -> {
              if (!JobStatus.RUNNING.name().equals(job.status)) {
                return Uni.createFrom().voidItem();
              }
              job.status = JobStatus.FAILED.name();
              job.reason = f.reason();
              job.completedAt = f.failedAt() == null ? Instant.now() : f.failedAt();
              tx.store.save(job);
              return discard(tx, job.id);
            });
  }

  /**
   * Takes staged change {@code index} of row {@code stagedId} of the job out as one that can never
   * apply: kept in failed_event, like a pushed change that cannot apply, and counted failed, so the
   * rest of the job (and the directory) goes on instead of retrying it forever. False if the change
   * is gone already (another applier of the job got to it).
   */
  public Uni<Boolean> failStaged(DirectoryTx tx, String jobId, long stagedId, int index, String reason) {
    return tx.store
        .query("select " + STAGED_COLUMNS + ", applied from staged_change where job_id = $1 and id = $2", jobId, stagedId)
        .chain(rows -> {
          if (!rows.iterator().hasNext()) {
            return Uni.createFrom().item(false);
          }
          var r = rows.iterator().next();
          List<StagedChange> inRow = changesOf(r, jobId);
          if (r.getInteger(8) != index || index >= inRow.size()) {
            return Uni.createFrom().item(false);
          }
          StagedChange failed = inRow.get(index);
          Uni<?> taken = index == inRow.size() - 1
              ? tx.store.query("delete from staged_change where id = $1", stagedId)
              : tx.store.query("update staged_change set applied = $2 where id = $1", stagedId, index + 1);
          String why = failed.type.startsWith("dsync.reconciler.unseen.") ? reason + " (resource " + failed.resourceId + ")" : reason;
          Log.warnf("sync job %s: staged change %s (%s) cannot be applied: %s", jobId, failed.eventId, failed.type, why);
          Counters counters = new Counters();
          counters.add(Outcome.FAILED);
          return taken
              .chain(() -> tx.store.query(
                  Reconciler.INSERT_FAILED_EVENT, failed.eventId, tx.tenantId, tx.directoryId, failed.type, why, failed.payload))
              .chain(() -> addCounters(tx, jobId, counters))
              .replaceWith(true);
        });
  }

  /** Adds a page's counters to the job's. */
  private Uni<Void> addCounters(DirectoryTx tx, String jobId, Counters counters) {
    return tx.store.job(jobId).invoke(job -> {
      tx.store.save(job);
      merge(job, counters);
    }).replaceWithVoid();
  }

  private static void merge(SyncJob job, Counters counters) {
    Map<String, Long> merged = new LinkedHashMap<>(readCounters(job.counters));
    counters.toMap().forEach((k, v) -> merged.merge(k, v, Long::sum));
    job.counters = EventJson.write(merged);
  }

  /** Marks a job decided with its final counters. */
  public Uni<Void> finish(DirectoryTx tx, String jobId, JobStatus status, Counters counters, String decidedBy) {
    return tx.store.job(jobId)
        .invoke(
            job -> {
              tx.store.save(job);
              job.status = status.name();
              if (counters != null) {
                merge(job, counters);
              }
              if (job.completedAt == null) {
                job.completedAt = Instant.now();
              }
              if (status == JobStatus.COMPLETED) {
                job.appliedAt = Instant.now();
              }
              if (decidedBy != null) {
                job.decidedBy = decidedBy;
                job.decidedAt = Instant.now();
              }
            })
        .replaceWithVoid();
  }

  public Uni<Void> discard(DirectoryTx tx, String jobId) {
    return tx.store.query("delete from staged_change where job_id = $1", jobId).replaceWithVoid();
  }

  /** The oldest other blocked job of the directory, which must be decided first; null if none. */
  public Uni<SyncJob> olderBlocked(DirectoryTx tx, String jobId) {
    // Only jobs that arrived before this one: a push hold opened while this job was blocked is newer
    // and waits for it, it does not block it. The reconciler's clock: a source's own start time may
    // come from a clock that disagrees with another source's or with a push hold's.
    return tx.store.job(jobId)
        .chain(job -> tx.store.jobs(
                "directory_id = $1 and status = 'BLOCKED' and id <> $2 and received_at <= $3",
                tx.directoryId, jobId, (job == null ? Instant.now() : job.receivedAt).atOffset(java.time.ZoneOffset.UTC)))
        .map(older -> older.isEmpty() ? null : older.get(0));
  }

  private static Uni<Long> population(DirectoryTx tx) {
    return tx.store.query("select count(*) from source_link where directory_id = $1 and in_scope", tx.directoryId)
        .map(rows -> rows.iterator().next().getLong(0));
  }

  private static void stage(DirectoryTx tx, SyncJob job, SourceChange c, String resourceId, ThresholdAction action, boolean batchable) {
    StagedChange s = new StagedChange();
    s.batchable = batchable;
    s.jobId = job.id;
    s.eventId = c.eventId();
    s.type = c.type().type();
    s.resourceId = resourceId;
    s.payload = c.json();
    s.action = action == null ? null : action.name();
    tx.store.stage(s);
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
    job.receivedAt = job.startedAt;
    tx.store.save(job);
    return Uni.createFrom().item(job);
  }

  /** An audit record of a job decision, published with the transaction's other events. */
  public void audit(DirectoryTx tx, Actor actor, String action, String jobId, Map<String, Object> details) {
    AuditRecord record = new AuditRecord(actor, action, "sync_job", jobId, AuditRecord.Outcome.SUCCESS, Instant.now(), details);
    tx.emit(OutboxMessage.of(EventType.AUDIT_RECORD, tx.tenantId, tx.tenantId, null, jobId, record));
  }

  static Map<String, Long> readCounters(String json) {
    try {
      return json == null ? Map.of() : EventJson.mapper().readValue(json, new TypeReference<Map<String, Long>>() {});
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
