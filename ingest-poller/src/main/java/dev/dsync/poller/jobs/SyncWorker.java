package dev.dsync.poller.jobs;

import dev.dsync.poller.PollerConfig;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Claims and runs jobs on this replica, at most {@code max-concurrent-jobs} at once. Replicas
 * coordinate only through the database (skip-locked claims and leases), never directly.
 */
@ApplicationScoped
public class SyncWorker {

  /** This replica's lease owner name; unique per process so a restarted pod is a new owner. */
  private final String owner = hostname() + "/" + UUID.randomUUID();

  private final SyncJobs jobs;
  private final SyncEngine engine;
  private final PollerConfig config;
  private final AtomicInteger running = new AtomicInteger();

  public SyncWorker(SyncJobs jobs, SyncEngine engine, PollerConfig config) {
    this.jobs = jobs;
    this.engine = engine;
    this.config = config;
  }

  public String owner() {
    return owner;
  }

  /** Starts runs for claimable jobs while slots are free; each finished run looks for more. */
  public void kick() {
    while (true) {
      int now = running.get();
      if (now >= config.maxConcurrentJobs()) {
        return;
      }
      if (running.compareAndSet(now, now + 1)) {
        break;
      }
    }
    runOne(owner, null)
        .onTermination().invoke(running::decrementAndGet)
        .subscribe().with(
            ran -> {
              if (ran.isPresent()) {
                kick();
              }
            },
            e -> Log.errorf(e, "claiming a sync job failed"));
  }

  /**
   * Claims one job as {@code owner} (this replica's, or another name in tests standing for a second
   * replica) and runs it to its end; empty when there was nothing to claim.
   */
  public Uni<Optional<SyncEngine.Outcome>> runOne(String owner, UUID onlyJob) {
    return jobs.claim(owner, onlyJob).chain(claimed -> claimed.isEmpty()
        ? Uni.createFrom().item(Optional.<SyncEngine.Outcome>empty())
        : engine.run(claimed.get()).map(Optional::of));
  }

  private static String hostname() {
    String h = System.getenv("HOSTNAME");
    return h == null || h.isBlank() ? "poller" : h;
  }
}
