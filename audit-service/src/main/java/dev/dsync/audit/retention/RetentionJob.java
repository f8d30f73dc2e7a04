package dev.dsync.audit.retention;

import dev.dsync.audit.background.BackgroundContext;
import dev.dsync.audit.checkpoint.CheckpointService;
import dev.dsync.audit.config.AuditConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.quarkus.reactive.datasource.ReactiveDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Deletes records older than each tenant's retention period, oldest first and in batches. Before
 * deleting it records and publishes a RETENTION checkpoint at the last record to go, so the
 * remaining chain still verifies: it starts from that checkpoint's hash. Deletes run on their own
 * pool as audit_retention; the service's writer role cannot delete.
 */
@ApplicationScoped
public class RetentionJob {

  private static final String TENANTS = "select tenant_id from chain_head order by tenant_id";

  private static final String CUT =
      "select max(seq) from audit_record where tenant_id = $1 and recorded_at < $2";

  private static final String PRUNED =
      "select coalesce(max(head_position), 0) from audit_checkpoint where tenant_id = $1 and reason = 'RETENTION'";

  private static final String DELETE_BATCH =
      "delete from audit_record where tenant_id = $1 and seq in"
          + " (select seq from audit_record where tenant_id = $1 and seq <= $2 order by seq limit $3)";

  private final AuditConfig config;
  private final Pool writer;
  private final Pool retention;
  private final CheckpointService checkpoints;
  private final BackgroundContext background;
  private final Vertx vertx;
  private final Counter deleted;
  private final AtomicBoolean running = new AtomicBoolean();
  private long timer = -1;

  public RetentionJob(
      AuditConfig config,
      Pool writer,
      @ReactiveDataSource("retention") Pool retention,
      CheckpointService checkpoints,
      BackgroundContext background,
      Vertx vertx,
      MeterRegistry registry) {
    this.config = config;
    this.writer = writer;
    this.retention = retention;
    this.checkpoints = checkpoints;
    this.background = background;
    this.vertx = vertx;
    this.deleted = Counter.builder("dsync.audit.retention.deleted").description("records deleted by retention").register(registry);
  }

  void onStart(@Observes StartupEvent event) {
    if (config.retention().enabled()) {
      timer = vertx.setPeriodic(config.retention().interval().toMillis(), id -> scheduled());
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void scheduled() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    runOnce(Instant.now())
        .subscribe()
        .with(
            n -> {
              running.set(false);
              Log.infof("retention deleted %d audit records", n);
            },
            f -> {
              running.set(false);
              Log.warnf("retention failed, will retry next interval: %s", f.toString());
            });
  }

  /** Applies every tenant's retention period as of {@code now}; answers how many records went. */
  public Uni<Long> runOnce(Instant now) {
    return writer
        .query(TENANTS)
        .execute()
        .chain(
            rows -> {
              List<String> tenants = new ArrayList<>();
              rows.forEach(r -> tenants.add(r.getString(0)));
              Uni<Long> total = Uni.createFrom().item(0L);
              for (String tenant : tenants) {
                Instant cutoff = now.minus(config.retentionOf(tenant));
                total = total.chain(sum -> purge(tenant, cutoff).map(n -> sum + n));
              }
              return total;
            });
  }

  /** Deletes {@code tenant}'s records appended before {@code cutoff}; answers how many. */
  public Uni<Long> purge(String tenant, Instant cutoff) {
    return retention
        .preparedQuery(CUT)
        .execute(Tuple.of(tenant, cutoff.atOffset(ZoneOffset.UTC)))
        .map(rows -> rows.iterator().next())
        .chain(
            cut ->
                prunedThrough(tenant)
                    .chain(
                        pruned -> {
                          Long last = cut.getLong(0);
                          if (last == null || last <= pruned) {
                            // Nothing new to cut; finish a deletion an earlier run left half done.
                            return Uni.createFrom().item(pruned);
                          }
                          return background
                              .run(() -> Panache.withTransaction(() -> checkpoints.retentionCheckpoint(tenant, last)))
                              .replaceWith(last);
                        }))
        .chain(through -> through == 0 ? Uni.createFrom().item(0L) : deleteThrough(tenant, through, 0L));
  }

  private Uni<Long> prunedThrough(String tenant) {
    return retention.preparedQuery(PRUNED).execute(Tuple.of(tenant)).map(rows -> rows.iterator().next().getLong(0));
  }

  private Uni<Long> deleteThrough(String tenant, long through, long done) {
    int batch = config.retention().batchSize();
    return retention
        .preparedQuery(DELETE_BATCH)
        .execute(Tuple.of(tenant, through, batch))
        .chain(
            result -> {
              int n = result.rowCount();
              deleted.increment(n);
              return n < batch ? Uni.createFrom().item(done + n) : deleteThrough(tenant, through, done + n);
            });
  }

}
