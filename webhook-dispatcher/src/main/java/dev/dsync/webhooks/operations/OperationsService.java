package dev.dsync.webhooks.operations;

import dev.dsync.events.Actor;
import dev.dsync.events.EventJson;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.webhooks.api.Cursor;
import dev.dsync.webhooks.api.Page;
import dev.dsync.webhooks.audit.AuditTrail;
import dev.dsync.webhooks.delivery.Attempt;
import dev.dsync.webhooks.delivery.Delivery;
import dev.dsync.webhooks.delivery.DeliveryWorker;
import dev.dsync.webhooks.endpoints.Endpoint;
import dev.dsync.webhooks.endpoints.EndpointService;
import dev.dsync.webhooks.messages.MessageService;
import dev.dsync.webhooks.messages.WebhookMessage;
import dev.dsync.webhooks.operations.OperationViews.AttemptView;
import dev.dsync.webhooks.operations.OperationViews.DeliveryView;
import dev.dsync.webhooks.operations.OperationViews.MessageDetail;
import dev.dsync.webhooks.operations.OperationViews.MessageView;
import dev.dsync.webhooks.operations.OperationViews.Scheduled;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/** Listing messages and attempts, redelivery, replay (backfill) and test events. */
@ApplicationScoped
public class OperationsService {

  /** CloudEvents-style type of the messages sent by "send a test event". */
  public static final String TEST_EVENT_TYPE = "dsync.webhook.test";

  private final AuditTrail audit;
  private final MessageService messages;
  private final DeliveryWorker worker;

  public OperationsService(AuditTrail audit, MessageService messages, DeliveryWorker worker) {
    this.audit = audit;
    this.messages = messages;
    this.worker = worker;
  }

  @WithSession
  public Uni<Page<MessageView>> listMessages(
      String tenantId, String type, String directoryId, String since, String until, String cursor, Integer limit) {
    Filter f = new Filter("tenantId = :tenant", tenantId);
    f.add(type, "eventType = :type", "type", type);
    f.add(directoryId, "directoryId = :directory", "directory", directoryId);
    f.add(since, "createdAt >= :since", "since", time("since", since));
    f.add(until, "createdAt < :until", "until", time("until", until));
    return page(WebhookMessage.class, f, cursor, limit, m -> m.createdAt, m -> m.id, OperationsService::view);
  }

  @WithSession
  public Uni<MessageDetail> message(String tenantId, UUID id) {
    return findMessage(tenantId, id)
        .chain(
            m ->
                Delivery.<Delivery>list("messageId = ?1 and tenantId = ?2 order by createdAt", id, tenantId)
                    .map(ds -> new MessageDetail(view(m), m.payload, ds.stream().map(d -> delivery(d, m.eventType)).toList())));
  }

  @WithSession
  public Uni<Page<DeliveryView>> endpointMessages(
      String tenantId, UUID endpointId, String status, String type, String since, String until, String cursor, Integer limit) {
    Filter f = new Filter("tenantId = :tenant and endpointId = :endpoint", tenantId).with("endpoint", endpointId);
    f.add(status, "status = :status", "status", status == null ? null : status(status));
    f.add(type, "messageId in (select m.id from WebhookMessage m where m.tenantId = :tenant and m.eventType = :type)", "type", type);
    f.add(since, "createdAt >= :since", "since", time("since", since));
    f.add(until, "createdAt < :until", "until", time("until", until));
    return EndpointService.find(tenantId, endpointId)
        .chain(e -> page(Delivery.class, f, cursor, limit, d -> d.createdAt, d -> d.id, d -> d))
        .chain(
            p -> {
              List<UUID> ids = p.items().stream().map(d -> d.messageId).toList();
              if (ids.isEmpty()) {
                return Uni.createFrom().item(new Page<DeliveryView>(List.of(), p.nextCursor()));
              }
              return WebhookMessage.<WebhookMessage>list("id in ?1", ids)
                  .map(
                      ms -> {
                        Map<UUID, String> types = new LinkedHashMap<>();
                        ms.forEach(m -> types.put(m.id, m.eventType));
                        return new Page<>(p.items().stream().map(d -> delivery(d, types.get(d.messageId))).toList(), p.nextCursor());
                      });
            });
  }

  @WithSession
  public Uni<Page<AttemptView>> attempts(
      String tenantId, UUID endpointId, String outcome, String messageId, String since, String until, String cursor, Integer limit) {
    Filter f = new Filter("tenantId = :tenant and endpointId = :endpoint", tenantId).with("endpoint", endpointId);
    f.add(outcome, "outcome = :outcome", "outcome", outcome == null ? null : outcome(outcome));
    f.add(messageId, "messageId = :message", "message", messageId == null ? null : uuid("messageId", messageId));
    f.add(since, "attemptedAt >= :since", "since", time("since", since));
    f.add(until, "attemptedAt < :until", "until", time("until", until));
    return EndpointService.find(tenantId, endpointId)
        .chain(e -> page(Attempt.class, f, cursor, limit, a -> a.attemptedAt, a -> a.id, OperationsService::attempt));
  }

  /** Sends one message to the endpoint again (a fresh retry schedule, the same webhook-id). */
  public Uni<Scheduled> redeliver(String tenantId, Actor actor, UUID endpointId, UUID messageId) {
    return Panache.withTransaction(
            () ->
                EndpointService.find(tenantId, endpointId)
                    .chain(e -> findMessage(tenantId, messageId))
                    .chain(m -> Delivery.<Delivery>find("messageId = ?1 and endpointId = ?2", messageId, endpointId).<Delivery>firstResult())
                    .chain(
                        (Delivery existing) -> {
                          Instant now = Instant.now();
                          if (existing == null) {
                            return Delivery.pending(tenantId, messageId, endpointId, now, now).persist().replaceWithVoid();
                          }
                          if (existing.status == Delivery.Status.PENDING) {
                            throw ProblemException.conflict("message " + messageId + " is already scheduled for this endpoint");
                          }
                          restart(existing, now);
                          return Uni.createFrom().voidItem();
                        })
                    .chain(() -> audit.endpoint(tenantId, actor, "webhook_endpoint.message_redelivered", endpointId, Map.of("messageId", messageId.toString())))
                    .replaceWith(new Scheduled(1, messageId)))
        .invoke(worker::wake);
  }

  /** Sends again every message that FAILED for the endpoint since {@code since}. */
  public Uni<Scheduled> redeliverFailed(String tenantId, Actor actor, UUID endpointId, String since) {
    Instant from = required("since", since);
    return Panache.withTransaction(
            () ->
                EndpointService.find(tenantId, endpointId)
                    .chain(
                        e ->
                            Panache.getSession()
                                .chain(
                                    s ->
                                        s.createNativeQuery(
                                                "update delivery set status = 'PENDING', schedule_base = attempts,"
                                                    + " next_attempt_at = now(), claim_id = null, updated_at = now()"
                                                    + " where tenant_id = :tenant and endpoint_id = :endpoint and status = 'FAILED'"
                                                    + " and created_at >= :since")
                                            .setParameter("tenant", tenantId)
                                            .setParameter("endpoint", endpointId)
                                            .setParameter("since", from)
                                            .executeUpdate()))
                    .call(n -> audit.endpoint(tenantId, actor, "webhook_endpoint.failed_redelivered", endpointId, Map.of("since", from.toString(), "count", n)))
                    .map(n -> new Scheduled(n, null)))
        .invoke(worker::wake);
  }

  /**
   * Backfill: schedules every retained event of a directory from a time and/or a sequence number to
   * the endpoint (its event-type filter applies); messages it already has are left alone.
   */
  public Uni<Scheduled> replay(String tenantId, Actor actor, UUID endpointId, OperationViews.ReplayRequest request) {
    if (request == null || request.directoryId() == null || request.directoryId().isBlank()) {
      throw ProblemException.invalid(List.of(new dev.dsync.platform.errors.Problem.FieldError("directoryId", "must not be blank")));
    }
    Instant since = time("since", request.since());
    return Panache.withTransaction(
            () ->
                EndpointService.find(tenantId, endpointId)
                    .chain(
                        e ->
                            Panache.getSession()
                                .chain(
                                    s -> {
                                      StringBuilder sql =
                                          new StringBuilder(
                                              "insert into delivery (id, tenant_id, message_id, endpoint_id, status, attempts,"
                                                  + " schedule_base, next_attempt_at, created_at, updated_at)"
                                                  + " select gen_random_uuid(), m.tenant_id, m.id, :endpoint, 'PENDING', 0, 0, now(), now(), now()"
                                                  + " from message m where m.tenant_id = :tenant and m.directory_id = :directory"
                                                  + " and m.event_type <> '" + TEST_EVENT_TYPE + "'");
                                      if (since != null) {
                                        sql.append(" and m.occurred_at >= :since");
                                      }
                                      if (request.fromSequence() != null) {
                                        sql.append(" and m.sequence >= :sequence");
                                      }
                                      if (!e.eventTypeList().isEmpty()) {
                                        sql.append(" and m.event_type in (:types)");
                                      }
                                      sql.append(" on conflict (message_id, endpoint_id) do nothing");
                                      var q =
                                          s.createNativeQuery(sql.toString())
                                              .setParameter("endpoint", endpointId)
                                              .setParameter("tenant", tenantId)
                                              .setParameter("directory", request.directoryId());
                                      if (since != null) {
                                        q.setParameter("since", since);
                                      }
                                      if (request.fromSequence() != null) {
                                        q.setParameter("sequence", request.fromSequence());
                                      }
                                      if (!e.eventTypeList().isEmpty()) {
                                        q.setParameter("types", e.eventTypeList());
                                      }
                                      return q.executeUpdate();
                                    }))
                    .call(
                        n -> {
                          Map<String, Object> details = new LinkedHashMap<>();
                          details.put("directoryId", request.directoryId());
                          details.put("count", n);
                          if (since != null) {
                            details.put("since", since.toString());
                          }
                          if (request.fromSequence() != null) {
                            details.put("fromSequence", request.fromSequence());
                          }
                          return audit.endpoint(tenantId, actor, "webhook_endpoint.replayed", endpointId, details);
                        })
                    .map(n -> new Scheduled(n, null)))
        .invoke(worker::wake);
  }

  /** Sends a {@code dsync.webhook.test} message to this endpoint only. */
  public Uni<Scheduled> sendTest(String tenantId, Actor actor, UUID endpointId) {
    UUID id = UUID.randomUUID();
    return Panache.withTransaction(
            () ->
                EndpointService.find(tenantId, endpointId)
                    .chain(
                        e -> {
                          if (!e.enabled) {
                            throw ProblemException.conflict("webhook endpoint " + endpointId + " is disabled");
                          }
                          String data = EventJson.write(Map.of("endpointId", endpointId.toString(), "tenantId", tenantId, "test", true));
                          WebhookMessage m = MessageService.message(id, tenantId, null, TEST_EVENT_TYPE, Instant.now(), data);
                          return m.persist().chain(() -> messages.schedule(m, List.of(e)));
                        })
                    .call(n -> audit.endpoint(tenantId, actor, "webhook_endpoint.tested", endpointId, Map.of("messageId", id.toString())))
                    .map(n -> new Scheduled(n, id)))
        .invoke(worker::wake);
  }

  private static void restart(Delivery d, Instant now) {
    d.status = Delivery.Status.PENDING;
    d.scheduleBase = d.attempts;
    d.nextAttemptAt = now;
    d.claimId = null;
    d.updatedAt = now;
  }

  private static Uni<WebhookMessage> findMessage(String tenantId, UUID id) {
    return WebhookMessage.<WebhookMessage>find("id = ?1 and tenantId = ?2", id, tenantId)
        .firstResult()
        .onItem()
        .ifNull()
        .failWith(() -> ProblemException.notFound("message", id.toString()));
  }

  /** Keyset page over an entity, newest first, by (time, id). */
  private static <E, V> Uni<Page<V>> page(
      Class<E> entity,
      Filter f,
      String cursor,
      Integer limit,
      Function<E, Instant> timeOf,
      Function<E, UUID> idOf,
      Function<E, V> view) {
    Cursor after = Cursor.decode(cursor);
    int size = Cursor.limit(limit);
    String timeField = entity == Attempt.class ? "attemptedAt" : "createdAt";
    if (after != null) {
      f.where.append(" and (" + timeField + " < :ct or (" + timeField + " = :ct and id < :cid))");
      f.params.put("ct", after.time());
      f.params.put("cid", after.id());
    }
    String hql = "from " + entity.getSimpleName() + " where " + f.where + " order by " + timeField + " desc, id desc";
    return Panache.getSession()
        .chain(
            s -> {
              var q = s.createSelectionQuery(hql, entity);
              f.params.forEach(q::setParameter);
              return q.setMaxResults(size + 1).getResultList();
            })
        .map(
            rows -> {
              boolean more = rows.size() > size;
              List<E> items = more ? rows.subList(0, size) : rows;
              String next = more ? new Cursor(timeOf.apply(items.get(size - 1)), idOf.apply(items.get(size - 1))).encode() : null;
              return new Page<>(items.stream().map(view).toList(), next);
            });
  }

  private static MessageView view(WebhookMessage m) {
    return new MessageView(m.id, m.eventType, m.directoryId, m.sequence, m.occurredAt, m.createdAt);
  }

  private static DeliveryView delivery(Delivery d, String eventType) {
    return new DeliveryView(
        d.messageId, d.endpointId, eventType, d.status.name(), d.attempts,
        d.status == Delivery.Status.PENDING ? d.nextAttemptAt : null, d.lastHttpStatus, d.lastError, d.createdAt);
  }

  private static AttemptView attempt(Attempt a) {
    return new AttemptView(
        a.id, a.messageId, a.endpointId, a.attemptNo, a.attemptedAt, a.outcome, a.httpStatus, a.latencyMs, a.responseBody,
        a.error, a.nextAttemptAt);
  }

  private static Instant time(String field, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ProblemException.badRequest(field + " must be an ISO-8601 instant such as 2026-11-23T10:15:30Z");
    }
  }

  private static Instant required(String field, String value) {
    Instant t = time(field, value);
    if (t == null) {
      throw ProblemException.badRequest(field + " is required");
    }
    return t;
  }

  private static UUID uuid(String field, String value) {
    try {
      return UUID.fromString(value);
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest(field + " must be a UUID");
    }
  }

  private static Delivery.Status status(String value) {
    try {
      return Delivery.Status.valueOf(value.toUpperCase());
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest("status must be one of PENDING, SUCCEEDED, FAILED");
    }
  }

  private static dev.dsync.events.webhook.WebhookAttempt.Outcome outcome(String value) {
    try {
      return dev.dsync.events.webhook.WebhookAttempt.Outcome.valueOf(value.toUpperCase());
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest("outcome must be one of SUCCEEDED, RETRYING, FAILED, ENDPOINT_DISABLED");
    }
  }

  /** An HQL where clause with named parameters, built from the filters a client gave. */
  private static final class Filter {
    final StringBuilder where;
    final Map<String, Object> params = new LinkedHashMap<>();

    Filter(String base, String tenantId) {
      where = new StringBuilder(base);
      params.put("tenant", tenantId);
    }

    Filter with(String name, Object value) {
      params.put(name, value);
      return this;
    }

    void add(String given, String clause, String name, Object value) {
      if (given != null && !given.isBlank()) {
        where.append(" and ").append(clause);
        params.put(name, value);
      }
    }
  }
}
