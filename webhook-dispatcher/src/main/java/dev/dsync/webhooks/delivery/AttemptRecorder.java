package dev.dsync.webhooks.delivery;

import dev.dsync.events.Actor;
import dev.dsync.events.EventType;
import dev.dsync.events.webhook.WebhookAttempt;
import dev.dsync.events.webhook.WebhookAttempt.Outcome;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.webhooks.audit.AuditTrail;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;

/**
 * Records an attempt in one transaction: the attempt row, the delivery's next state, the
 * endpoint's failure run (and its disabling, audited), and the {@code dsync.webhook.attempt} event.
 */
@ApplicationScoped
public class AttemptRecorder {

  private static final String UPDATE_DELIVERY =
      "update delivery set status = :status, attempts = attempts + 1, next_attempt_at = :next,"
          + " claim_id = null, last_http_status = :http, last_error = :error, updated_at = :now"
          + " where id = :id and claim_id = :claim";

  private static final String MARK_FAILING =
      "update endpoint set failing_since = coalesce(failing_since, :now) where id = :id";

  private static final String MARK_HEALTHY =
      "update endpoint set failing_since = null where id = :id and failing_since is not null";

  private static final String DISABLE =
      "update endpoint set enabled = false, disabled_reason = :reason, updated_at = :now where id = :id and enabled";

  private final RetryPolicy policy;
  private final Outbox outbox;
  private final AuditTrail audit;
  private final MeterRegistry registry;
  private final Timer eventToDelivery;

  public AttemptRecorder(RetryPolicy policy, Outbox outbox, AuditTrail audit, MeterRegistry registry) {
    this.policy = policy;
    this.outbox = outbox;
    this.audit = audit;
    this.registry = registry;
    this.eventToDelivery =
        Timer.builder("dsync.webhook.event_to_delivery")
            .description("time from an identity event to its successful delivery")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
  }

  /** Records {@code result} of the attempt of {@code job} that started at {@code attemptedAt}. */
  Uni<Outcome> record(Claimed job, HttpResult result, Instant attemptedAt) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    int attemptNo = job.attempts() + 1;
    RetryPolicy.Decision decision =
        policy.decide(result, attemptNo - job.scheduleBase(), now, job.failingSince());
    Delivery.Status status =
        switch (decision.outcome()) {
          case SUCCEEDED -> Delivery.Status.SUCCEEDED;
          case RETRYING -> Delivery.Status.PENDING;
          case FAILED, ENDPOINT_DISABLED -> Delivery.Status.FAILED;
        };
    Attempt attempt = new Attempt();
    attempt.id = UUID.randomUUID();
    attempt.tenantId = job.tenantId();
    attempt.deliveryId = job.deliveryId();
    attempt.messageId = job.messageId();
    attempt.endpointId = job.endpointId();
    attempt.attemptNo = attemptNo;
    attempt.attemptedAt = attemptedAt.truncatedTo(ChronoUnit.MICROS);
    attempt.outcome = decision.outcome();
    attempt.httpStatus = result.status();
    attempt.latencyMs = result.latencyMs();
    attempt.responseBody = result.body();
    attempt.error = result.error();
    attempt.nextAttemptAt = decision.nextAttemptAt();
    WebhookAttempt event =
        new WebhookAttempt(
            job.endpointId().toString(),
            job.messageId().toString(),
            job.eventType(),
            attemptNo,
            attempt.attemptedAt,
            decision.outcome(),
            result.status(),
            result.latencyMs(),
            result.error(),
            decision.nextAttemptAt());
    return Panache.withTransaction(
            () ->
                Panache.getSession()
                    .chain(
                        session ->
                            session
                                .createNativeQuery(UPDATE_DELIVERY)
                                .setParameter("status", status.name())
                                .setParameter("next", decision.nextAttemptAt())
                                .setParameter("http", result.status())
                                .setParameter("error", result.error())
                                .setParameter("now", now)
                                .setParameter("id", job.deliveryId())
                                .setParameter("claim", job.claimId())
                                .executeUpdate()
                                .invoke(
                                    updated -> {
                                      if (updated == 0) {
                                        // Our lease ran out and another replica took over: the
                                        // attempt still happened and is recorded, the state is theirs.
                                        Log.infof("delivery %s was re-claimed; recording attempt only", job.deliveryId());
                                      }
                                    })
                                .chain(() -> attempt.persist())
                                .chain(() -> failureRun(session, job, result, now))
                                .chain(() -> disable(session, job, decision, now))
                                .chain(
                                    () ->
                                        outbox.append(
                                            new OutboxMessage(
                                                attempt.id,
                                                EventType.WEBHOOK_ATTEMPT,
                                                job.endpointId().toString(),
                                                job.tenantId(),
                                                null,
                                                job.messageId().toString(),
                                                event)))))
        .invoke(() -> count(job, result, decision.outcome(), now))
        .replaceWith(decision.outcome());
  }

  private Uni<Integer> failureRun(
      org.hibernate.reactive.mutiny.Mutiny.Session session, Claimed job, HttpResult result, Instant now) {
    if (result.succeeded()) {
      return session.createNativeQuery(MARK_HEALTHY).setParameter("id", job.endpointId()).executeUpdate();
    }
    return session
        .createNativeQuery(MARK_FAILING)
        .setParameter("id", job.endpointId())
        .setParameter("now", now)
        .executeUpdate();
  }

  private Uni<Void> disable(org.hibernate.reactive.mutiny.Mutiny.Session session, Claimed job, RetryPolicy.Decision decision, Instant now) {
    if (decision.disableReason() == null) {
      return Uni.createFrom().voidItem();
    }
    return session
        .createNativeQuery(DISABLE)
        .setParameter("reason", decision.disableReason())
        .setParameter("now", now)
        .setParameter("id", job.endpointId())
        .executeUpdate()
        .chain(
            changed -> {
              if (changed == 0) {
                return Uni.createFrom().voidItem();
              }
              Log.infof("endpoint %s disabled: %s", job.endpointId(), decision.disableReason());
              return audit
                  .endpoint(
                      job.tenantId(),
                      Actor.system("webhook-dispatcher"),
                      "webhook_endpoint.disabled",
                      job.endpointId(),
                      Map.of("reason", decision.disableReason(), "messageId", job.messageId().toString()))
                  .replaceWithVoid();
            });
  }

  private void count(Claimed job, HttpResult result, Outcome outcome, Instant now) {
    registry.counter("dsync.webhook.attempts", "outcome", outcome.name()).increment();
    registry.timer("dsync.webhook.attempt.latency").record(Duration.ofMillis(result.latencyMs()));
    if (outcome == Outcome.SUCCEEDED && job.occurredAt() != null) {
      eventToDelivery.record(Duration.between(job.occurredAt(), now));
    }
  }
}
