package dev.dsync.audit.checkpoint;

import dev.dsync.audit.background.BackgroundContext;
import dev.dsync.audit.config.AuditConfig;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicBoolean;

/** Checkpoints every moved chain head periodically; replicas share the work (SKIP LOCKED). */
@ApplicationScoped
public class CheckpointScheduler {

  private final AuditConfig config;
  private final CheckpointService checkpoints;
  private final Vertx vertx;
  private final BackgroundContext background;
  private final AtomicBoolean running = new AtomicBoolean();
  private long timer = -1;

  public CheckpointScheduler(AuditConfig config, CheckpointService checkpoints, Vertx vertx, BackgroundContext background) {
    this.background = background;
    this.config = config;
    this.checkpoints = checkpoints;
    this.vertx = vertx;
  }

  void onStart(@Observes StartupEvent event) {
    if (config.checkpoint().enabled()) {
      timer = vertx.setPeriodic(config.checkpoint().interval().toMillis(), id -> runOnce());
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void runOnce() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    checkpointAll()
        .subscribe()
        .with(
            n -> {
              running.set(false);
              Log.debugf("checkpointed %d chain heads", n);
            },
            f -> {
              running.set(false);
              Log.warnf("checkpointing failed, will retry next interval: %s", f.toString());
            });
  }

  /** Checkpoints every moved head, a batch of tenants per transaction; answers how many. */
  public Uni<Integer> checkpointAll() {
    return background.run(this::checkpointBatches);
  }

  private Uni<Integer> checkpointBatches() {
    int batch = config.checkpoint().batchSize();
    return checkpoints
        .checkpointMovedHeads(batch)
        .chain(n -> n < batch ? Uni.createFrom().item(n) : checkpointBatches().map(m -> n + m));
  }
}
