package dev.dsync.webhooks.delivery;

import dev.dsync.webhooks.config.WebhooksConfig;
import dev.dsync.webhooks.endpoints.EndpointService;
import dev.dsync.webhooks.security.SecretBox;
import dev.dsync.webhooks.security.UrlGuard;
import dev.dsync.webhooks.signing.Signer;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Delivers due messages. It claims due deliveries from PostgreSQL ({@code FOR UPDATE SKIP LOCKED},
 * so replicas share the work) and leases them by pushing their next attempt out; a replica that
 * dies mid-delivery leaves them to be claimed again with the same webhook-id. Each endpoint has its
 * own lane with bounded concurrency (and its rate limit), and a saturated lane is left out of the
 * next claim, so a slow endpoint never takes capacity from the others.
 */
@ApplicationScoped
public class DeliveryWorker {

  // Per endpoint at most its lane's room ($2/$3: lanes of this replica and their room; an endpoint
  // without a lane here has $1) and at most its rate limit; then the oldest due first.
  private static final String CLAIM =
      "with rooms as (select * from unnest($2::uuid[], $3::int[]) as r(endpoint_id, room)),"
          + " candidates as ("
          + "  select x.id from endpoint e left join rooms r on r.endpoint_id = e.id"
          + "  cross join lateral ("
          + "    select d.id, row_number() over (order by d.next_attempt_at) as rn from delivery d"
          + "    where d.endpoint_id = e.id and d.status = 'PENDING' and d.next_attempt_at <= now()"
          + "    order by d.next_attempt_at limit $1) x"
          + "  where e.enabled and coalesce(r.room, $1) > 0"
          + "  and x.rn <= least(coalesce(r.room, $1), coalesce(e.rate_limit, $1))),"
          + " claimed as ("
          + "  select d.id from delivery d"
          + "  where d.id in (select id from candidates) and d.status = 'PENDING' and d.next_attempt_at <= now()"
          + "  order by d.next_attempt_at limit $4 for update skip locked)"
          + " update delivery d set claim_id = $5, next_attempt_at = now() + make_interval(secs => $6)"
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
  private final AtomicBoolean flushing = new AtomicBoolean();
  /** Attempts done and not yet recorded; their leases keep them from being claimed again meanwhile. */
  private final ConcurrentLinkedQueue<Sent> unrecorded = new ConcurrentLinkedQueue<>();
  private final AtomicInteger unrecordedCount = new AtomicInteger();
  private final AtomicBoolean pending = new AtomicBoolean();
  /** Bumped by stop(): attempts of an older generation are dropped unrecorded, as by a dead process. */
  private final AtomicInteger generation = new AtomicInteger();
  private volatile Map<UUID, Lane> lanes = new ConcurrentHashMap<>();
  private final Map<UUID, Unsealed> unsealed = new ConcurrentHashMap<>();
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
    // Attempts a stopped worker left unrecorded are dropped, as a dead process would drop them.
    unrecorded.clear();
    unrecordedCount.set(0);
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
    if (unrecordedCount.get() >= 4 * config.claimBatchSize()) {
      // Backpressure: recording lags; claiming more would only age leases. The next flush wakes us.
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
    int capacity = laneCapacity();
    List<UUID> endpoints = new ArrayList<>();
    List<Integer> rooms = new ArrayList<>();
    lanes.forEach((endpoint, lane) -> {
      endpoints.add(endpoint);
      rooms.add(lane.room(capacity));
    });
    // Long enough to cover waiting in a lane behind one round of attempts, plus the attempt itself.
    double leaseSeconds = (2 * config.requestTimeout().toMillis() + config.leaseMargin().toMillis()) / 1000.0;
    return pool.preparedQuery(CLAIM)
        .execute(
            Tuple.from(
                new Object[] {
                  capacity,
                  endpoints.toArray(UUID[]::new),
                  rooms.toArray(Integer[]::new),
                  config.claimBatchSize(),
                  claimId,
                  leaseSeconds
                }))
        .map(
            rows -> {
              List<Claimed> jobs = new ArrayList<>();
              for (Row row : rows) {
                jobs.add(Claimed.of(row, claimId));
              }
              return jobs;
            });
  }

  /**
   * A lane holds its endpoint's attempts in flight plus as many waiting: enough that a fast
   * endpoint never waits for the next claim, and no more than one round of attempts (each within
   * the request timeout) ahead of any waiting delivery, which is what its lease covers.
   */
  private int laneCapacity() {
    return 2 * config.endpointConcurrency();
  }

  private void submit(Claimed job, int gen) {
    Lane lane = lanes.computeIfAbsent(job.endpointId(), id -> new Lane());
    if (lane.enter(job, config.endpointConcurrency())) {
      start(lane, job, gen);
    }
  }

  private void start(Lane lane, Claimed job, int gen) {
    long delay = lane.paceMillis(job.rateLimit());
    Instant attemptedAt = Instant.now();
    Runnable go = () -> send(job).subscribe().with(
        result -> {
          // The lane frees as soon as the endpoint answered: recording does not hold its slot.
          finish(lane, gen);
          if (gen == generation.get()) {
            unrecordedCount.incrementAndGet();
            unrecorded.add(new Sent(job, result, attemptedAt, gen));
            flush();
          }
        },
        failure -> {
          Log.warnf("attempt of delivery %s failed unexpectedly; its lease will bring it back: %s", job.deliveryId(), failure.toString());
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

  /** Records finished attempts, all that are waiting in one transaction; coalesces with one under way. */
  private void flush() {
    if (!flushing.compareAndSet(false, true)) {
      return;
    }
    List<Sent> batch = new ArrayList<>();
    int gen = generation.get();
    for (Sent s; batch.size() < config.claimBatchSize() * 2 && (s = unrecorded.poll()) != null; ) {
      unrecordedCount.decrementAndGet();
      if (s.generation() == gen) {
        batch.add(s);
      }
    }
    if (batch.isEmpty()) {
      flushing.set(false);
      if (!unrecorded.isEmpty()) {
        flush();
      }
      return;
    }
    recorder.record(batch).subscribe().with(
        done -> {
          flushing.set(false);
          wake();
          if (!unrecorded.isEmpty()) {
            flush();
          }
        },
        failure -> {
          flushing.set(false);
          Log.warnf("recording %d attempts failed; their leases will bring them back: %s", batch.size(), failure.toString());
          wake();
          if (!unrecorded.isEmpty()) {
            flush();
          }
        });
  }

  private Uni<HttpResult> send(Claimed job) {
    URI url;
    try {
      url = guard.parse(job.url());
    } catch (UrlGuard.Refused e) {
      return Uni.createFrom().item(HttpResult.failure("refused: URL " + e.getMessage(), 0));
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
        .recoverWithItem(e -> HttpResult.failure("refused: " + e.getMessage(), 0));
  }

  /** Signing keys, newest first: the previous secret signs too until its overlap ends. */
  private List<byte[]> keys(Claimed job) {
    List<byte[]> keys = new ArrayList<>(2);
    keys.add(unseal(job.endpointId(), job.secret()));
    if (job.previousSecret() != null
        && job.previousSecretExpiresAt() != null
        && job.previousSecretExpiresAt().isAfter(Instant.now())) {
      keys.add(unseal(job.endpointId(), job.previousSecret()));
    }
    return keys;
  }

  /**
   * The key inside a sealed secret, remembered per sealed value: an AES-GCM open per attempt is
   * measurable at thousands of attempts a second. A rotation seals a new value, so a stale key is
   * never used; the cache holds only keys of endpoints this replica delivers to.
   */
  private byte[] unseal(UUID endpointId, byte[] sealed) {
    Unsealed known = unsealed.get(endpointId);
    if (known != null && java.util.Arrays.equals(known.sealed(), sealed)) {
      return known.key();
    }
    if (known != null && known.older() != null && java.util.Arrays.equals(known.older().sealed(), sealed)) {
      return known.older().key();
    }
    byte[] key = box.decrypt(sealed, EndpointService.sealedFor(endpointId));
    // Two values per endpoint at most: the current secret and, during a rotation, the previous one.
    Unsealed older = known == null ? null : new Unsealed(known.sealed(), known.key(), null);
    unsealed.put(endpointId, new Unsealed(sealed.clone(), key, older));
    return key;
  }

  private record Unsealed(byte[] sealed, byte[] key, Unsealed older) {}

  /** One endpoint's share of this replica: attempts in flight, a short queue, rate pacing. */
  private static final class Lane {
    private final Deque<Claimed> waiting = new ArrayDeque<>();
    private int active;
    private long nextSlotNanos;
    /** Whether nextSlotNanos means anything (nanoTime has no fixed origin; it may be negative). */
    private boolean paced;

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

    /** How many more deliveries this lane takes: none while it is full or paced a second ahead. */
    synchronized int room(int capacity) {
      if (paced && nextSlotNanos - System.nanoTime() > Duration.ofSeconds(1).toNanos()) {
        return 0;
      }
      return Math.max(0, capacity - active - waiting.size());
    }

    /** Milliseconds to wait so this endpoint gets at most {@code perSecond} attempts a second. */
    synchronized long paceMillis(Integer perSecond) {
      if (perSecond == null || perSecond <= 0) {
        return 0;
      }
      long now = System.nanoTime();
      long slot = paced ? Math.max(now, nextSlotNanos) : now;
      paced = true;
      nextSlotNanos = slot + 1_000_000_000L / perSecond;
      return (slot - now) / 1_000_000;
    }
  }
}
