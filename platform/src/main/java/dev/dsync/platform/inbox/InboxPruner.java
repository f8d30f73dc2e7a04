package dev.dsync.platform.inbox;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Forgets the ids of events consumed longer ago than {@code dsync.inbox.retention}. An id only
 * guards against a redelivery, and Kafka redelivers nothing older than its topics' retention (7
 * days by default): the table grew by a row per consumed event forever, and with it every
 * migration or vacuum of it. Keep the retention above the longest topic retention a consumer reads.
 */
@ApplicationScoped
public class InboxPruner {

  /** Rows per delete: one statement's locks and WAL stay small, and a large first pruning is spread. */
  static final int BATCH = 10_000;

  static final String PRUNE =
      "delete from processed_event where ctid = any(array(select ctid from processed_event"
          + " where processed_at < now() - make_interval(secs => $1) limit $2))";

  private final Pool pool;
  private final Vertx vertx;
  private final Duration retention;
  private final Duration interval;
  private long timer = -1;

  public InboxPruner(
      Pool pool,
      Vertx vertx,
      @ConfigProperty(name = "dsync.inbox.retention", defaultValue = "P14D") Duration retention,
      @ConfigProperty(name = "dsync.inbox.prune-interval", defaultValue = "PT1H") Duration interval) {
    this.pool = pool;
    this.vertx = vertx;
    this.retention = retention;
    this.interval = interval;
  }

  void onStart(@Observes StartupEvent event) {
    if (!interval.isZero()) {
      timer = vertx.setPeriodic(interval.toMillis(), id -> prune().subscribe().with(
          n -> Log.debugf("inbox pruning removed %d ids", n),
          failure -> Log.warnf("inbox pruning failed: %s", failure.getMessage())));
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Deletes the ids older than the retention, a batch per statement until none is left; answers how many. */
  public Uni<Long> prune() {
    return Multi.createBy().repeating()
        .uni(() -> pool.preparedQuery(PRUNE).execute(Tuple.of((double) retention.toSeconds(), BATCH)).map(rows -> (long) rows.rowCount()))
        .whilst(deleted -> deleted == BATCH)
        .collect().with(java.util.stream.Collectors.summingLong(Long::longValue));
  }
}
