package dev.dsync.webhooks.delivery;

import dev.dsync.webhooks.config.WebhooksConfig;
import dev.dsync.webhooks.endpoints.EndpointService;
import dev.dsync.webhooks.security.SecretBox;
import dev.dsync.webhooks.security.UrlGuard;
import dev.dsync.webhooks.signing.Signer;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.MultiMap;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Delivers due messages. It claims due deliveries from PostgreSQL ({@code FOR UPDATE SKIP LOCKED},
 * so replicas share the work) and leases them by pushing their next attempt out; a replica that
 * dies mid-delivery leaves them to be claimed again with the same webhook-id. Each endpoint has its
 * own lane with bounded concurrency (and its rate limit), and a saturated lane is left out of the
 * next claim, so a slow endpoint never takes capacity from the others.
 */
@ApplicationScoped
public class DeliveryWorker {

  private static final String CLAIM =
      "with candidates as ("
          + "  select x.id from endpoint e cross join lateral ("
          + "    select d.id, row_number() over (order by d.next_attempt_at) as rn from delivery d"
          + "    where d.endpoint_id = e.id and d.status = 'PENDING' and d.next_attempt_at <= now()"
          + "    order by d.next_attempt_at limit $1) x"
          + "  where e.enabled and not (e.id = any($2)) and x.rn <= coalesce(e.rate_limit, $1)),"
          + " claimed as ("
          + "  select d.id from delivery d"
          + "  where d.id in (select id from candidates) and d.status = 'PENDING' and d.next_attempt_at <= now()"
          + "  order by d.next_attempt_at limit $3 for update skip locked)"
          + " update delivery d set claim_id = $4, next_attempt_at = now() + make_interval(secs => $5)"
          + " from claimed c, message m, endpoint e"
          + " where d.id = c.id and m.id = d.message_id and e.id = d.endpoint_id"
          + " returning d.id, d.tenant_id, d.message_id, d.endpoint_id, d.attempts, d.schedule_base,"
          + " m.event_type, m.payload, m.occurred_at, e.url, e.secret, e.previous_secret,"
          + " e.previous_secret_expires_at, e.rate_limit, e.failing_since";

  private final WebhooksConfig config;
  private final Pool pool;
  private final Vertx vertx;
  private final UrlGuard guard;
  private final SecretBox box;
  private final WebhookClient client;
  private final AttemptRecorder recorder;

  private final AtomicBoolean claiming = new AtomicBoolean();
  private final AtomicBoolean pending = new AtomicBoolean();
  /** Bumped by stop(): attempts of an older generation are dropped unrecorded, as by a dead process. */
  private final AtomicInteger generation = new AtomicInteger();
  private volatile Map<UUID, Lane> lanes = new ConcurrentHashMap<>();
  private volatile boolean running;
  private long pollTimer = -1;
  private long cleanupTimer = -1;

  public DeliveryWorker(
      WebhooksConfig config,
      Pool pool,
      Vertx vertx,
      UrlGuard guard,
      SecretBox box,
      WebhookClient client,
      AttemptRecorder recorder) {
    this.config = config;
    this.pool = pool;
    this.vertx = vertx;
    this.guard = guard;
    this.box = box;
    this.client = client;
    this.recorder = recorder;
  }

  void onStart(@Observes StartupEvent event) {
    if (config.workerEnabled()) {
      start();
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    stop();
  }

  /** Starts claiming and delivering; idempotent. */
  public synchronized void start() {
    if (running) {
      return;
    }
    lanes = new ConcurrentHashMap<>();
    running = true;
    pollTimer = vertx.setPeriodic(config.pollInterval().toMillis(), id -> wake());
    cleanupTimer = vertx.setPeriodic(600_000L, id -> cleanup());
    wake();
  }

  /**
   * Stops at once, as a crash would: nothing more is claimed and attempts in flight are not
   * recorded; their leases run out and another replica (or this one, restarted) sends them again.
   */
  public synchronized void stop() {
    running = false;
    generation.incrementAndGet();
    if (pollTimer >= 0) {
      vertx.cancelTimer(pollTimer);
      pollTimer = -1;
    }
    if (cleanupTimer >= 0) {
      vertx.cancelTimer(cleanupTimer);
      cleanupTimer = -1;
    }
  }

  /** Drops messages (with their deliveries and attempts) older than the retention, the replay window. */
  private void cleanup() {
    pool.preparedQuery("delete from message where created_at < now() - make_interval(secs => $1)")
        .execute(Tuple.of((double) config.messageRetention().toSeconds()))
        .subscribe()
        .with(
            rows -> Log.debugf("message cleanup removed %d messages", rows.rowCount()),
            failure -> Log.warnf("message cleanup failed: %s", failure.getMessage()));
  }

  public boolean running() {
    return running;
  }

  /** Asks for a claim now (new messages, a freed lane); coalesces with one under way. */
  public void wake() {
    if (!running) {
      return;
    }
    if (!claiming.compareAndSet(false, true)) {
      pending.set(true);
      return;
    }
    pending.set(false);
    int gen = generation.get();
    claim()
        .subscribe()
        .with(
            jobs -> {
              claiming.set(false);
              jobs.forEach(job -> submit(job, gen));
              if (jobs.size() >= config.claimBatchSize() || pending.get()) {
                wake();
              }
            },
            failure -> {
              claiming.set(false);
              Log.warnf("claiming deliveries failed, will retry: %s", failure.toString());
            });
  }

  private Uni<List<Claimed>> claim() {
    UUID claimId = UUID.randomUUID();
    List<UUID> busy = new ArrayList<>();
    lanes.forEach((endpoint, lane) -> {
      if (lane.saturated(config.endpointConcurrency())) {
        busy.add(endpoint);
      }
    });
    // Long enough to cover waiting in a lane behind one round of attempts, plus the attempt itself.
    double leaseSeconds = (2 * config.requestTimeout().toMillis() + config.leaseMargin().toMillis()) / 1000.0;
    return pool.preparedQuery(CLAIM)
        .execute(
            Tuple.of(
                config.endpointConcurrency(),
                busy.toArray(UUID[]::new),
                config.claimBatchSize(),
                claimId,
                leaseSeconds))
        .map(
            rows -> {
              List<Claimed> jobs = new ArrayList<>();
              for (Row row : rows) {
                jobs.add(Claimed.of(row, claimId));
              }
              return jobs;
            });
  }

  private void submit(Claimed job, int gen) {
    Lane lane = lanes.computeIfAbsent(job.endpointId(), id -> new Lane());
    if (lane.enter(job, config.endpointConcurrency())) {
      start(lane, job, gen);
    }
  }

  private void start(Lane lane, Claimed job, int gen) {
    long delay = lane.paceMillis(job.rateLimit());
    Runnable go = () -> onSafeContext(() -> attempt(job, gen)).subscribe().with(done -> finish(lane, gen), failure -> {
      Log.warnf("recording attempt of delivery %s failed; its lease will bring it back: %s", job.deliveryId(), failure.toString());
      finish(lane, gen);
    });
    if (delay > 0) {
      vertx.setTimer(delay, id -> go.run());
    } else {
      go.run();
    }
  }

  private void finish(Lane lane, int gen) {
    Claimed next = lane.leave();
    if (next != null) {
      start(lane, next, gen);
    }
    wake();
  }

  private Uni<Void> attempt(Claimed job, int gen) {
    Instant attemptedAt = Instant.now();
    URI url;
    try {
      url = guard.parse(job.url());
    } catch (UrlGuard.Refused e) {
      return record(job, HttpResult.failure("refused: URL " + e.getMessage(), 0), attemptedAt, gen);
    }
    byte[] body = job.payload().getBytes(StandardCharsets.UTF_8);
    return guard
        .resolve(url)
        .chain(
            address -> {
              long timestamp = Instant.now().getEpochSecond();
              String msgId = job.messageId().toString();
              MultiMap headers =
                  MultiMap.caseInsensitiveMultiMap()
                      .add("content-type", "application/json")
                      .add("webhook-id", msgId)
                      .add("webhook-timestamp", Long.toString(timestamp))
                      .add("webhook-signature", Signer.header(keys(job), msgId, timestamp, body));
              return client.post(url, address, headers, body, config.requestTimeout());
            })
        .onFailure(UrlGuard.Refused.class)
        .recoverWithItem(e -> HttpResult.failure("refused: " + e.getMessage(), 0))
        .chain(result -> record(job, result, attemptedAt, gen));
  }

  private Uni<Void> record(Claimed job, HttpResult result, Instant attemptedAt, int gen) {
    if (gen != generation.get()) {
      return Uni.createFrom().voidItem();
    }
    return recorder.record(job, result, attemptedAt).replaceWithVoid();
  }

  /** Signing keys, newest first: the previous secret signs too until its overlap ends. */
  private List<byte[]> keys(Claimed job) {
    String boundTo = EndpointService.sealedFor(job.endpointId());
    List<byte[]> keys = new ArrayList<>(2);
    keys.add(box.decrypt(job.secret(), boundTo));
    if (job.previousSecret() != null
        && job.previousSecretExpiresAt() != null
        && job.previousSecretExpiresAt().isAfter(Instant.now())) {
      keys.add(box.decrypt(job.previousSecret(), boundTo));
    }
    return keys;
  }

  /** Runs Hibernate Reactive work on its own safe duplicated context, as a request would. */
  private <T> Uni<T> onSafeContext(Supplier<Uni<T>> work) {
    io.vertx.core.Context context = VertxContext.createNewDuplicatedContext(vertx.getDelegate().getOrCreateContext());
    VertxContextSafetyToggle.setContextSafe(context, true);
    return Uni.createFrom()
        .emitter(emitter -> context.runOnContext(v -> work.get().subscribe().with(emitter::complete, emitter::fail)));
  }

  /** One endpoint's share of this replica: attempts in flight, a short queue, rate pacing. */
  private static final class Lane {
    private final Deque<Claimed> waiting = new ArrayDeque<>();
    private int active;
    private long nextSlotNanos;

    synchronized boolean enter(Claimed job, int max) {
      if (active < max) {
        active++;
        return true;
      }
      waiting.add(job);
      return false;
    }

    synchronized Claimed leave() {
      Claimed next = waiting.poll();
      if (next == null) {
        active--;
      }
      return next;
    }

    synchronized boolean saturated(int max) {
      return active + waiting.size() >= max || nextSlotNanos - System.nanoTime() > Duration.ofSeconds(1).toNanos();
    }

    /** Milliseconds to wait so this endpoint gets at most {@code perSecond} attempts a second. */
    synchronized long paceMillis(Integer perSecond) {
      if (perSecond == null || perSecond <= 0) {
        return 0;
      }
      long now = System.nanoTime();
      long slot = Math.max(now, nextSlotNanos);
      nextSlotNanos = slot + 1_000_000_000L / perSecond;
      return (slot - now) / 1_000_000;
    }
  }
}
