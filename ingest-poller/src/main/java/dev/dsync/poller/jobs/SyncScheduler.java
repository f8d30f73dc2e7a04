package dev.dsync.poller.jobs;

import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Queues the scheduled runs of every due connection (complete when its daily time has come or it
 * never completed, incremental otherwise) and lets the worker claim them. Any replica may tick:
 * the unique active-job index and skip-locked rows keep a connection to one job.
 */
@ApplicationScoped
public class SyncScheduler {

  private static final String QUEUE_DUE =
      "with due as (select c.id, c.tenant_id, (c.next_complete_at <= now() or c.incremental_state is null) as complete"
          + " from connection c where c.state in ('ACTIVE', 'ERROR')"
          + " and (c.next_incremental_at <= now() or c.next_complete_at <= now())"
          + " and not exists (select 1 from sync_job j where j.connection_id = c.id and j.status in ('PENDING', 'RUNNING'))"
          + " for update of c skip locked),"
          + " queued as (insert into sync_job (id, connection_id, tenant_id, mode, status, trigger)"
          + " select gen_random_uuid(), id, tenant_id, case when complete then 'COMPLETE' else 'INCREMENTAL' end, 'PENDING', 'schedule' from due"
          + " on conflict do nothing returning connection_id)"
          + " update connection c set next_incremental_at = now() + make_interval(mins => coalesce(c.incremental_minutes, 15)),"
          + " next_complete_at = case when c.next_complete_at <= now()"
          + " then (((now() at time zone 'utc')::date + 1) + c.complete_daily_at) at time zone 'utc' else c.next_complete_at end"
          + " from queued where c.id = queued.connection_id";

  private final Pool pool;
  private final SyncWorker worker;

  public SyncScheduler(Pool pool, SyncWorker worker) {
    this.pool = pool;
    this.worker = worker;
  }

  @Scheduled(every = "${dsync.poller.scheduler-tick}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> scheduled() {
    return tick().replaceWithVoid().onFailure().invoke(e -> Log.errorf(e, "scheduler tick failed")).onFailure().recoverWithNull();
  }

  /** Queues due runs and starts claimable jobs (including ones whose replica died); answers how many were queued. */
  public Uni<Integer> tick() {
    return pool.withTransaction(tx -> tx.query(QUEUE_DUE).execute())
        .map(rows -> rows.rowCount())
        .invoke(n -> {
          if (n > 0) {
            Log.debugf("queued %d scheduled sync jobs", n);
          }
          worker.kick();
        });
  }
}
