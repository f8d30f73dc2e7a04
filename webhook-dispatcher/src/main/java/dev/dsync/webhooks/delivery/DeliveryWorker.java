package dev.dsync.webhooks.delivery;

import dev.dsync.webhooks.config.WebhooksConfig;
import dev.dsync.webhooks.endpoints.EndpointService;
import dev.dsync.webhooks.security.SecretBox;
import dev.dsync.webhooks.security.UrlGuard;
import dev.dsync.webhooks.signing.Signer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.spec.SecretKeySpec;

/**
 * Delivers due messages. It claims due deliveries from PostgreSQL ({@code FOR UPDATE SKIP LOCKED},
 * so replicas share the work) and leases them by pushing their next attempt out; a replica that
 * dies mid-delivery leaves them to be claimed again with the same webhook-id. Deliveries the intake
 * creates while their endpoint's lane has room are inserted already leased and handed over here
 * ({@link #handOff()}), without a claim. Each endpoint has its own lane with bounded concurrency
 * (and its rate limit), and a saturated lane is left out of the next claim, so a slow endpoint
 * never takes capacity from the others. An attempt starts only while its lease still covers it.
 */
@ApplicationScoped
public class DeliveryWorker {

  // Per endpoint at most its lane's room ($2/$3: lanes of this replica and their room; an endpoint
  // without a lane here has $1) and at most its rate limit; then the oldest due first. The limit
  // inside the lateral stops an ordered scan of delivery_due at the endpoint's room; a window
  // function there made the planner read every due row of the endpoint (a bitmap scan, which also
  // never marks dead index entries, so each claim waded through every delivery since the last
  // vacuum).
  private static final String CLAIM =
      "with rooms as (select * from unnest($2::uuid[], $3::int[]) as r(endpoint_id, room)),"
          + " candidates as ("
          + "  select x.id from endpoint e left join rooms r on r.endpoint_id = e.id"
          + "  cross join lateral ("
          + "    select d.id from delivery d"
          + "    where d.endpoint_id = e.id and d.status = 'PENDING' and d.next_attempt_at <= now()"
          // No foreign key (V3): a delivery left behind by a purge racing a replay never takes a slot.
          + "    and exists (select 1 from message m where m.id = d.message_id)"
          + "    order by d.next_attempt_at"
          + "    limit least(coalesce(r.room, $1), coalesce(e.rate_limit, coalesce(r.room, $1)))) x"
          + "  where e.enabled and coalesce(r.room, $1) > 0),"
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
  private final Counter claimedCount;
  private final DistributionSummary claimSize;
  private final Counter handedOff;
  private final Counter lapsed;
  /** How long a lease lasts: a round of waiting in a lane, the attempt itself, and a margin. */
  private final long leaseNanos;
  /** From leasing a delivery to the latest start of its attempt: the lease minus the attempt and half the margin. */
  private final long budgetNanos;

  private final AtomicBoolean claiming = new AtomicBoolean();
  private final AtomicBoolean flushing = new AtomicBoolean();
  /** Attempts done and not yet recorded; their leases keep them from being claimed again meanwhile. */
  private final ConcurrentLinkedQueue<Sent> unrecorded = new ConcurrentLinkedQueue<>();
  private final AtomicInteger unrecordedCount = new AtomicInteger();
  private final AtomicBoolean pending = new AtomicBoolean();
  /** A claim was skipped because recording lagged; the next flush asks for it. */
  private final AtomicBoolean heldBack = new AtomicBoolean();
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
      AttemptRecorder recorder,
      MeterRegistry registry) {
    this.config = config;
    this.pool = pool;
    this.vertx = vertx;
    this.guard = guard;
    this.box = box;
    this.client = client;
    this.recorder = recorder;
    this.claimedCount = Counter.builder("dsync.webhook.deliveries.claimed").description("deliveries leased by a claim").register(registry);
    this.claimSize = DistributionSummary.builder("dsync.webhook.claim.size").description("deliveries leased per claim").register(registry);
    this.handedOff =
        Counter.builder("dsync.webhook.deliveries.handed_off").description("deliveries leased at intake and sent without a claim").register(registry);
    this.lapsed =
        Counter.builder("dsync.webhook.deliveries.lapsed")
            .description("leased deliveries not attempted because their lease no longer covered the attempt (claimed again later)")
            .register(registry);
    long timeout = config.requestTimeout().toNanos();
    long margin = config.leaseMargin().toNanos();
    this.leaseNanos = 2 * timeout + margin;
    this.budgetNanos = leaseNanos - timeout - margin / 2;
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
   * Stops at once, as a crash would: nothing more is claimed or started and attempts in flight are
   * not recorded; their leases run out and another replica (or this one, restarted) sends them again.
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

  private void cleanup() {
    purgeMessages(Instant.now().minus(config.messageRetention()))
        .subscribe()
        .with(
            count -> Log.debugf("message cleanup removed %d messages", count),
            failure -> Log.warnf("message cleanup failed: %s", failure.getMessage()));
  }

  /**
   * Drops messages created before {@code before} with their deliveries and attempts (the retention
   * is the replay window); answers how many messages went.
   */
  public Uni<Long> purgeMessages(Instant before) {
    // Two statements: the second's snapshot also sees deliveries a replay or redelivery committed
    // for these messages while the first one ran (one statement would leave them behind).
    return pool.withTransaction(
        conn -> conn.preparedQuery("delete from message where created_at < $1 returning id")
            .execute(Tuple.of(before.atOffset(java.time.ZoneOffset.UTC)))
            .chain(rows -> {
              List<UUID> ids = new ArrayList<>();
              rows.forEach(r -> ids.add(r.getUUID(0)));
              if (ids.isEmpty()) {
                return Uni.createFrom().item(0L);
              }
              return conn.preparedQuery(
                      "with a as (delete from attempt where message_id = any($1)) delete from delivery where message_id = any($1)")
                  .execute(Tuple.of(ids.toArray(UUID[]::new)))
                  .replaceWith((long) ids.size());
            }));
  }

  public boolean running() {
    return running;
  }

  private boolean recordingLags() {
    return unrecordedCount.get() >= 4 * config.claimBatchSize();
  }

  /**
   * Asks for a claim now (new or redelivered messages, a lane with a backlog and room again, the
   * poll); coalesces with one under way.
   */
  public void wake() {
    if (!running) {
      return;
    }
    if (recordingLags()) {
      // Backpressure: recording lags; claiming more would only age leases. The next flush wakes us.
      heldBack.set(true);
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
    long start = System.nanoTime();
    int fresh = newLane().room();
    Map<UUID, Integer> offered = new HashMap<>();
    List<UUID> endpoints = new ArrayList<>();
    List<Integer> rooms = new ArrayList<>();
    lanes.forEach((endpoint, lane) -> {
      int room = lane.room();
      offered.put(endpoint, room);
      endpoints.add(endpoint);
      rooms.add(room);
    });
    return pool.preparedQuery(CLAIM)
        .execute(
            Tuple.from(
                new Object[] {
                  fresh,
                  endpoints.toArray(UUID[]::new),
                  rooms.toArray(Integer[]::new),
                  config.claimBatchSize(),
                  claimId,
                  leaseNanos / 1e9
                }))
        .map(
            rows -> {
              List<Claimed> jobs = new ArrayList<>();
              Map<UUID, Integer> got = new HashMap<>();
              for (Row row : rows) {
                Claimed job = Claimed.of(row, claimId, start + budgetNanos);
                jobs.add(job);
                got.merge(job.endpointId(), 1, Integer::sum);
              }
              // What each lane learnt: a lane that got all the room it offered may have more due,
              // and so may any lane when the claim stopped at its own limit.
              boolean capped = jobs.size() >= config.claimBatchSize();
              offered.forEach((endpoint, room) -> {
                Lane lane = lanes.get(endpoint);
                if (lane != null && room > 0) {
                  lane.claimed(room, got.getOrDefault(endpoint, 0), capped);
                }
              });
              got.forEach((endpoint, n) -> {
                if (!offered.containsKey(endpoint)) {
                  lane(endpoint).claimed(fresh, n, capped);
                }
              });
              claimedCount.increment(jobs.size());
              claimSize.record(jobs.size());
              return jobs;
            });
  }

  private Lane newLane() {
    return new Lane(config.endpointConcurrency(), config.claimBatchSize(), budgetNanos, config.requestTimeout().toNanos());
  }

  private Lane lane(UUID endpointId) {
    return lanes.computeIfAbsent(endpointId, id -> newLane());
  }

  private void submit(Claimed job, int gen) {
    Lane lane = lane(job.endpointId());
    if (lane.enter(job)) {
      start(lane, job, gen);
    }
  }

  private void start(Lane lane, Claimed job, int gen) {
    long delay = lane.paceMillis(job.rateLimit());
    if (delay > 0) {
      vertx.setTimer(delay, id -> attempt(lane, job, gen));
    } else {
      attempt(lane, job, gen);
    }
  }

  private void attempt(Lane lane, Claimed job, int gen) {
    if (gen != generation.get()) {
      return; // stopped: a dead process starts nothing more
    }
    if (System.nanoTime() - job.sendBy() > 0) {
      skip(lane, job, gen);
      return;
    }
    Instant attemptedAt = Instant.now();
    long started = System.nanoTime();
    send(job).subscribe().with(
        result -> {
          // The lane frees as soon as the endpoint answered: recording does not hold its slot.
          finish(lane, gen, System.nanoTime() - started);
          if (gen == generation.get()) {
            unrecordedCount.incrementAndGet();
            unrecorded.add(new Sent(job, result, attemptedAt, gen));
            flush();
          }
        },
        failure -> {
          Log.warnf("attempt of delivery %s failed unexpectedly; its lease will bring it back: %s", job.deliveryId(), failure.toString());
          finish(lane, gen, config.requestTimeout().toNanos());
        });
  }

  private void finish(Lane lane, int gen, long nanos) {
    Claimed next = lane.leave(nanos);
    if (next != null) {
      start(lane, next, gen);
    }
    if (lane.wantsMore()) {
      wake();
    }
  }

  /**
   * Leaves a delivery unattempted: it waited so long that its lease no longer covers an attempt,
   * so another replica could take it over meanwhile. It stays leased until the lease ends and is
   * claimed again then, with the same webhook-id.
   */
  private void skip(Lane lane, Claimed job, int gen) {
    Claimed next = job;
    while (next != null && System.nanoTime() - next.sendBy() > 0) {
      lapsed.increment();
      Log.debugf("delivery %s waited past its lease in the lane of endpoint %s; it will be claimed again", next.deliveryId(), next.endpointId());
      next = lane.skip();
    }
    if (next != null) {
      start(lane, next, gen);
    }
    if (lane.wantsMore()) {
      wake();
    }
  }

  /**
   * Room in this replica's lanes for the deliveries an intake transaction is about to insert: those
   * it takes are inserted leased to this replica and start when the transaction has committed.
   */
  public HandOff handOff() {
    return new HandOff();
  }

  /** Deliveries of one intake transaction leased at insert; {@link #commit()} or {@link #abandon()} once. */
  public final class HandOff {
    private final UUID claimId = UUID.randomUUID();
    private final long sendBy = System.nanoTime() + budgetNanos;
    private final int gen = generation.get();
    private final boolean open = running && !recordingLags();
    private final List<Claimed> taken = new ArrayList<>();
    private final List<Lane> takenLanes = new ArrayList<>();
    /** Whether a delivery it left for a claim could be claimed now (its lane has room). */
    private boolean claimable;

    private HandOff() {}

    /** The claim id leased deliveries are inserted with. */
    public UUID claimId() {
      return claimId;
    }

    /** The lease they are inserted with, from the transaction's start. */
    public double leaseSeconds() {
      return leaseNanos / 1e9;
    }

    /** The {@code sendBy} of the deliveries it takes. */
    public long sendBy() {
      return sendBy;
    }

    /**
     * Takes a delivery about to be inserted if its endpoint's lane has room and no older due
     * deliveries wait in the table; false if it must be inserted due, for a claim.
     */
    public boolean take(Claimed job) {
      if (!open) {
        claimable = true;
        return false;
      }
      Lane lane = lane(job.endpointId());
      if (!lane.reserve()) {
        // A full lane asks for a claim itself once half of it is free.
        claimable |= lane.room() > 0;
        return false;
      }
      taken.add(job);
      takenLanes.add(lane);
      return true;
    }

    /** After the commit: starts what it took, and asks for a claim for what it left where there is room. */
    public void commit() {
      if (gen == generation.get()) {
        handedOff.increment(taken.size());
        for (int i = 0; i < taken.size(); i++) {
          Lane lane = takenLanes.get(i);
          if (lane.enterReserved(taken.get(i))) {
            start(lane, taken.get(i), gen);
          }
        }
      }
      // A stopped worker's lanes are gone: its leases bring the deliveries back.
      if (claimable) {
        wake();
      }
    }

    /** After a rollback: nothing was inserted, the room is free again. */
    public void abandon() {
      takenLanes.forEach(Lane::unreserve);
    }
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
        done -> flushed(),
        failure -> {
          Log.warnf("recording %d attempts failed; their leases will bring them back: %s", batch.size(), failure.toString());
          flushed();
        });
  }

  private void flushed() {
    flushing.set(false);
    if (heldBack.compareAndSet(true, false)) {
      wake();
    }
    if (!unrecorded.isEmpty()) {
      flush();
    }
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
        .deliveryAddress(url)
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
  private List<SecretKeySpec> keys(Claimed job) {
    List<SecretKeySpec> keys = new ArrayList<>(2);
    keys.add(unseal(job.endpointId(), job.secret()));
    if (job.previousSecret() != null
        && job.previousSecretExpiresAt() != null
        && job.previousSecretExpiresAt().isAfter(Instant.now())) {
      keys.add(unseal(job.endpointId(), job.previousSecret()));
    }
    return keys;
  }

  /**
   * The signing key inside a sealed secret, remembered per sealed value: an AES-GCM open per
   * attempt is measurable at thousands of attempts a second. A rotation seals a new value, so a
   * stale key is never used; the cache holds only keys of endpoints this replica delivers to.
   */
  private SecretKeySpec unseal(UUID endpointId, byte[] sealed) {
    Unsealed known = unsealed.get(endpointId);
    if (known != null && java.util.Arrays.equals(known.sealed(), sealed)) {
      return known.key();
    }
    if (known != null && known.older() != null && java.util.Arrays.equals(known.older().sealed(), sealed)) {
      return known.older().key();
    }
    SecretKeySpec key = Signer.key(box.decrypt(sealed, EndpointService.sealedFor(endpointId)));
    // Two values per endpoint at most: the current secret and, during a rotation, the previous one.
    Unsealed older = known == null ? null : new Unsealed(known.sealed(), known.key(), null);
    unsealed.put(endpointId, new Unsealed(sealed.clone(), key, older));
    return key;
  }

  private record Unsealed(byte[] sealed, SecretKeySpec key, Unsealed older) {}
}
