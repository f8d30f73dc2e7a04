package dev.dsync.webhooks.delivery;

import dev.dsync.events.Actor;
import dev.dsync.events.EventType;
import dev.dsync.events.webhook.WebhookAttempt;
import dev.dsync.events.webhook.WebhookAttempt.Outcome;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.webhooks.audit.AuditTrail;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Records attempts, a batch per transaction: the attempt rows, each delivery's next state, the
 * endpoints' failure runs (and their disabling, audited), and one {@code dsync.webhook.attempt}
 * event per attempt through the outbox. A handful of statements per batch rather than per attempt
 * is what lets one replica record thousands of attempts a second.
 */
@ApplicationScoped
public class AttemptRecorder {

  // Only the replica holding the lease (claim_id) moves the delivery on; an attempt whose lease ran
  // out and was re-claimed elsewhere is still recorded, the state is the other replica's.
  private static final String UPDATE_DELIVERIES =
      "update delivery d set status = u.status, attempts = d.attempts + 1, next_attempt_at = u.next,"
          + " claim_id = null, last_http_status = u.http, last_error = u.error, updated_at = $7"
          + " from unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::int[], $6::text[])"
          + " as u(id, claim, status, next, http, error)"
          + " where d.id = u.id and d.claim_id = u.claim";

  // A delivery removed meanwhile (its endpoint was deleted) takes its attempts with it.
  private static final String INSERT_ATTEMPTS =
      "insert into attempt (id, tenant_id, delivery_id, message_id, endpoint_id, attempt_no, attempted_at,"
          + " outcome, http_status, latency_ms, response_body, error, next_attempt_at)"
          + " select u.* from unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::uuid[], $6::int[],"
          + " $7::timestamptz[], $8::text[], $9::int[], $10::bigint[], $11::text[], $12::text[], $13::timestamptz[])"
          + " as u(id, tenant_id, delivery_id, message_id, endpoint_id, attempt_no, attempted_at, outcome,"
          + " http_status, latency_ms, response_body, error, next_attempt_at)"
          + " where exists (select 1 from delivery d where d.id = u.delivery_id)";

  private static final String MARK_FAILING =
      "update endpoint set failing_since = coalesce(failing_since, $2) where id = any($1)";

  private static final String MARK_HEALTHY =
      "update endpoint set failing_since = null where id = any($1) and failing_since is not null";

  private static final String DISABLE =
      "update endpoint set enabled = false, disabled_reason = $2, updated_at = $3 where id = $1 and enabled";

  private final RetryPolicy policy;
  private final Outbox outbox;
  private final AuditTrail audit;
  private final Pool pool;
  private final Timer eventToDelivery;
  private final Timer attemptLatency;
  /** Looked up once: a tagged lookup per attempt showed in profiles. */
  private final Map<Outcome, Counter> attempts = new EnumMap<>(Outcome.class);

  public AttemptRecorder(RetryPolicy policy, Outbox outbox, AuditTrail audit, Pool pool, MeterRegistry registry) {
    this.policy = policy;
    this.outbox = outbox;
    this.audit = audit;
    this.pool = pool;
    this.eventToDelivery =
        Timer.builder("dsync.webhook.event_to_delivery")
            .description("time from an identity event to its successful delivery")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
    this.attemptLatency = registry.timer("dsync.webhook.attempt.latency");
    for (Outcome outcome : Outcome.values()) {
      attempts.put(outcome, registry.counter("dsync.webhook.attempts", "outcome", outcome.name()));
    }
  }

  /** One attempt decided: what is stored and published for it. */
  private record Decided(Sent sent, RetryPolicy.Decision decision, UUID attemptId, int attemptNo, Instant attemptedAt) {
    Delivery.Status status() {
      return switch (decision.outcome()) {
        case SUCCEEDED -> Delivery.Status.SUCCEEDED;
        case RETRYING -> Delivery.Status.PENDING;
        case FAILED, ENDPOINT_DISABLED -> Delivery.Status.FAILED;
      };
    }
  }

  /** Records these attempts in one transaction; fails as a whole (their leases bring them back). */
  Uni<Void> record(List<Sent> batch) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    List<Decided> decided = new ArrayList<>(batch.size());
    for (Sent s : batch) {
      Claimed job = s.job();
      int attemptNo = job.attempts() + 1;
      decided.add(
          new Decided(
              s,
              policy.decide(s.result(), attemptNo - job.scheduleBase(), now, job.failingSince()),
              UUID.randomUUID(),
              attemptNo,
              s.attemptedAt().truncatedTo(ChronoUnit.MICROS)));
    }
    return pool.withTransaction(
            conn ->
                updateDeliveries(conn, decided, now)
                    .chain(() -> insertAttempts(conn, decided))
                    .chain(() -> failureRuns(conn, decided, now))
                    .chain(() -> disable(conn, decided, now))
                    .chain(() -> publish(conn, decided)))
        .invoke(() -> decided.forEach(d -> count(d, now)));
  }

  private static Uni<Void> updateDeliveries(SqlConnection conn, List<Decided> ds, Instant now) {
    int n = ds.size();
    UUID[] ids = new UUID[n];
    UUID[] claims = new UUID[n];
    String[] statuses = new String[n];
    OffsetDateTime[] next = new OffsetDateTime[n];
    Integer[] http = new Integer[n];
    String[] errors = new String[n];
    for (int i = 0; i < n; i++) {
      Decided d = ds.get(i);
      ids[i] = d.sent().job().deliveryId();
      claims[i] = d.sent().job().claimId();
      statuses[i] = d.status().name();
      next[i] = utc(d.decision().nextAttemptAt());
      http[i] = d.sent().result().status();
      errors[i] = d.sent().result().error();
    }
    return conn.preparedQuery(UPDATE_DELIVERIES)
        .execute(Tuple.from(new Object[] {ids, claims, statuses, next, http, errors, utc(now)}))
        .invoke(
            rows -> {
              if (rows.rowCount() < n) {
                Log.infof("%d of %d deliveries were re-claimed or removed meanwhile; recording their attempts only", n - rows.rowCount(), n);
              }
            })
        .replaceWithVoid();
  }

  private static Uni<Void> insertAttempts(SqlConnection conn, List<Decided> ds) {
    int n = ds.size();
    UUID[] ids = new UUID[n];
    String[] tenants = new String[n];
    UUID[] deliveries = new UUID[n];
    UUID[] messages = new UUID[n];
    UUID[] endpoints = new UUID[n];
    Integer[] numbers = new Integer[n];
    OffsetDateTime[] at = new OffsetDateTime[n];
    String[] outcomes = new String[n];
    Integer[] http = new Integer[n];
    Long[] latency = new Long[n];
    String[] bodies = new String[n];
    String[] errors = new String[n];
    OffsetDateTime[] next = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      Decided d = ds.get(i);
      Claimed job = d.sent().job();
      HttpResult r = d.sent().result();
      ids[i] = d.attemptId();
      tenants[i] = job.tenantId();
      deliveries[i] = job.deliveryId();
      messages[i] = job.messageId();
      endpoints[i] = job.endpointId();
      numbers[i] = d.attemptNo();
      at[i] = utc(d.attemptedAt());
      outcomes[i] = d.decision().outcome().name();
      http[i] = r.status();
      latency[i] = r.latencyMs();
      bodies[i] = r.body();
      errors[i] = r.error();
      next[i] = utc(d.decision().nextAttemptAt());
    }
    return conn.preparedQuery(INSERT_ATTEMPTS)
        .execute(Tuple.from(new Object[] {ids, tenants, deliveries, messages, endpoints, numbers, at, outcomes, http, latency, bodies, errors, next}))
        .replaceWithVoid();
  }

  /** The endpoint's failure run follows its latest attempt in the batch: a success ends it. */
  private static Uni<Void> failureRuns(SqlConnection conn, List<Decided> ds, Instant now) {
    Map<UUID, Boolean> latest = new TreeMap<>();
    for (Decided d : ds) {
      latest.put(d.sent().job().endpointId(), d.sent().result().succeeded());
    }
    UUID[] healthy = latest.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).toArray(UUID[]::new);
    UUID[] failing = latest.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toArray(UUID[]::new);
    Uni<Void> chain = Uni.createFrom().voidItem();
    if (healthy.length > 0) {
      chain = chain.chain(() -> conn.preparedQuery(MARK_HEALTHY).execute(Tuple.of(healthy))).replaceWithVoid();
    }
    if (failing.length > 0) {
      chain = chain.chain(() -> conn.preparedQuery(MARK_FAILING).execute(Tuple.of(failing, utc(now)))).replaceWithVoid();
    }
    return chain;
  }

  private Uni<Void> disable(SqlConnection conn, List<Decided> ds, Instant now) {
    Map<UUID, Decided> toDisable = new LinkedHashMap<>();
    for (Decided d : ds) {
      if (d.decision().disableReason() != null) {
        toDisable.putIfAbsent(d.sent().job().endpointId(), d);
      }
    }
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (Decided d : toDisable.values()) {
      Claimed job = d.sent().job();
      String reason = d.decision().disableReason();
      chain =
          chain.chain(
              () ->
                  conn.preparedQuery(DISABLE)
                      .execute(Tuple.of(job.endpointId(), reason, utc(now)))
                      .chain(
                          rows -> {
                            if (rows.rowCount() == 0) {
                              return Uni.createFrom().voidItem();
                            }
                            Log.infof("endpoint %s disabled: %s", job.endpointId(), reason);
                            return audit
                                .endpoint(
                                    conn,
                                    job.tenantId(),
                                    Actor.system("webhook-dispatcher"),
                                    "webhook_endpoint.disabled",
                                    job.endpointId(),
                                    Map.of("reason", reason, "messageId", job.messageId().toString()))
                                .replaceWithVoid();
                          }));
    }
    return chain;
  }

  /** One {@code dsync.webhook.attempt} per attempt, all in one batch on the transaction's connection. */
  private Uni<Void> publish(SqlConnection conn, List<Decided> ds) {
    List<OutboxMessage> messages = new ArrayList<>(ds.size());
    for (Decided d : ds) {
      Claimed job = d.sent().job();
      HttpResult r = d.sent().result();
      WebhookAttempt event =
          new WebhookAttempt(
              job.endpointId().toString(),
              job.messageId().toString(),
              job.eventType(),
              d.attemptNo(),
              d.attemptedAt(),
              d.decision().outcome(),
              r.status(),
              r.latencyMs(),
              r.error(),
              d.decision().nextAttemptAt());
      messages.add(
          new OutboxMessage(
              d.attemptId(), EventType.WEBHOOK_ATTEMPT, job.endpointId().toString(), job.tenantId(), null, job.messageId().toString(), event));
    }
    return outbox.appendAll(conn, messages);
  }

  private void count(Decided d, Instant now) {
    Outcome outcome = d.decision().outcome();
    attempts.get(outcome).increment();
    attemptLatency.record(Duration.ofMillis(d.sent().result().latencyMs()));
    Instant occurredAt = d.sent().job().occurredAt();
    if (outcome == Outcome.SUCCEEDED && occurredAt != null) {
      eventToDelivery.record(Duration.between(occurredAt, now));
    }
  }

  private static OffsetDateTime utc(Instant t) {
    return t == null ? null : t.atOffset(ZoneOffset.UTC);
  }
}
