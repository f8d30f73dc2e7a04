package dev.dsync.reconciler.jobs;

import dev.dsync.reconciler.config.ReconcilerConfig;
import dev.dsync.reconciler.pipeline.Reconciler;
import dev.dsync.reconciler.pipeline.Steps;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies decided (APPLYING) jobs a page per transaction. A job used to be applied in the
 * transaction that decided it: a 100,000-user sync was one 50-second transaction whose ~400,000
 * outbox rows the relay could only start on at its commit, while every relay claim meanwhile
 * walked those uncommitted rows in the index. Each page now commits its effects, its events, the
 * job's counters and the removal of its staged rows together, so the relay publishes while the
 * apply runs, and after a crash the job goes on from the first staged row left.
 */
@ApplicationScoped
public class ApplyingJobs {

  private record Applying(String id, String tenantId, String directoryId) {}

  private final Reconciler reconciler;
  private final SyncJobService jobs;
  private final Pool pool;
  private final Instance<JobPageCheckpoint> checkpoints;
  private final ReconcilerConfig config;

  public ApplyingJobs(
      Reconciler reconciler, SyncJobService jobs, Pool pool, Instance<JobPageCheckpoint> checkpoints, ReconcilerConfig config) {
    this.config = config;
    this.reconciler = reconciler;
    this.jobs = jobs;
    this.pool = pool;
    this.checkpoints = checkpoints;
  }

  /**
   * Applies every APPLYING job to its end, oldest first: the one a completion just decided, or one
   * a crash (or another replica) left half applied. Until then their directories take no change.
   */
  public Uni<Void> drain() {
    return pool.preparedQuery("select id, tenant_id, directory_id from sync_job where status = 'APPLYING' order by received_at")
        .execute()
        .chain(rows -> {
          List<Applying> applying = new ArrayList<>();
          rows.forEach(r -> applying.add(new Applying(r.getString(0), r.getString(1), r.getString(2))));
          return Steps.forEach(applying, j -> apply(j.tenantId(), j.directoryId(), j.id()));
        });
  }

  /**
   * A large job fills the tables faster than autovacuum analyzes them (a first sync of 100,000
   * users had no statistics at all by its end), and without them PostgreSQL takes a 500-value
   * {@code = any(...)} for unselective: the correlation lookup scanned every user of the tenant and
   * filtered (156 ms a page at 100,000 users, and growing). As after any bulk load, the tables are
   * analyzed as the job grows: after pages 16, 32, 64, ... (a few hundred ms each, logarithmically often,
   * in the background).
   */
  static boolean refreshStatisticsAfter(int pages) {
    return pages >= 16 && Integer.bitCount(pages) == 1;
  }

  /** An analysis running now: one at a time is enough. */
  private final java.util.concurrent.atomic.AtomicBoolean analyzing = new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Analyzes on a connection of its own without waiting for it: in the page chain it held the job
   * for 1.6 s of a 100,000-user sync (four analyses), while the second core had time to spare. The
   * pages that run meanwhile are planned with the older statistics, as the pages before it were.
   */
  private void analyzeInBackground() {
    if (!analyzing.compareAndSet(false, true)) {
      return;
    }
    analyze()
        .subscribe().with(
            ok -> analyzing.set(false),
            failure -> {
              analyzing.set(false);
              Log.warnf("analyzing the identity tables failed: %s", failure.toString());
            });
  }

  /**
   * Statistics for the job's plans: whether a key is selective, which a 3,000-row sample tells as
   * well as the default 30,000 (the tenth part of the default target, for this transaction only:
   * autovacuum's own analyses later keep the default). The four analyses of a 100,000-user sync
   * took 1.6 s of PostgreSQL's CPU with the default target.
   */
  Uni<Void> analyze() {
    return pool.withTransaction(conn -> conn.query("set local default_statistics_target = " + ANALYZE_TARGET).execute()
        .chain(() -> conn.query("analyze canonical_user, canonical_group, source_link, membership").execute()))
        .replaceWithVoid();
  }

  static final int ANALYZE_TARGET = 10;


  /**
   * Applies the job's remaining pages, each in a transaction of its own; a job already COMPLETED is
   * left alone. A page that fails for a reason retrying cannot fix (a change that can never apply)
   * is applied again a change per transaction, for as many changes as a page holds, and the change
   * that fails alone is taken out as failed: the rest of the job is applied, not retried forever
   * with the directory (and the consumer's partition) held.
   */
  public Uni<Void> apply(String tenantId, String directoryId, String jobId) {
    long start = System.nanoTime();
    int[] pages = {0};
    int[] isolating = {0};
    StagedCursor cursor = new StagedCursor();
    return Multi.createBy().repeating()
        .uni(() -> {
          int size = isolating[0] > 0 ? 1 : config.applyPageSize();
          cursor.firstRead = 0L; // a failure before the page reads anything blames no row
          return reconciler.withDirectory(tenantId, directoryId, jobId, tx -> jobs.applyPage(tx, jobId, size, cursor))
              .onFailure(Reconciler::poison)
              .recoverWithUni(failure -> {
                if (isolating[0] == 0) {
                  Log.warnf("sync job %s: a page failed (%s); applying its changes one at a time", jobId, failure.toString());
                  isolating[0] = config.applyPageSize();
                  return Uni.createFrom().nullItem();
                }
                isolating[0]--;
                long failed = cursor.firstRead();
                int failedIndex = cursor.firstIndex();
                if (failed != 0L && Reconciler.refusedByDatabase(failure)) {
                  // No source data is known to cause one: more likely a fault of the reconciler's own writes.
                  Log.errorf("sync job %s: PostgreSQL refused the write of staged change %d: %s", jobId, failed, failure.getMessage());
                }
                // Only the change this one-change page read is taken out; if it read none or the
                // change is gone, the failure goes to the caller's retry.
                return failed == 0L
                    ? Uni.createFrom().failure(failure)
                    : reconciler.withDirectory(tenantId, directoryId, jobId, tx -> jobs.failStaged(tx, jobId, failed, failedIndex, String.valueOf(failure.getMessage())))
                        .chain(removed -> removed ? Uni.createFrom().nullItem() : Uni.createFrom().failure(failure));
              })
              .call(last -> {
                if (last == null) {
                  return Uni.createFrom().voidItem(); // a failed page: nothing committed
                }
                pages[0]++;
                cursor.pageCommitted();
                isolating[0] = Math.max(0, isolating[0] - 1);
                for (JobPageCheckpoint checkpoint : checkpoints) {
                  checkpoint.pageCommitted(jobId, last);
                }
                if (!last && refreshStatisticsAfter(pages[0])) {
                  analyzeInBackground();
                }
                return Uni.createFrom().voidItem();
              })
              .map(last -> last != null && last);
        })
        .until(last -> last)
        .collect().last()
        .invoke(() -> Log.infof("sync job %s of directory %s applied: %d pages in %d ms", jobId, directoryId, pages[0],
            (System.nanoTime() - start) / 1_000_000))
        .replaceWithVoid();
  }
}
