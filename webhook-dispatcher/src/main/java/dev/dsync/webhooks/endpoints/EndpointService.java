package dev.dsync.webhooks.endpoints;

import dev.dsync.events.Actor;
import dev.dsync.events.EventType;
import dev.dsync.events.Topic;
import dev.dsync.platform.errors.Problem;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.webhooks.api.Cursor;
import dev.dsync.webhooks.api.Page;
import dev.dsync.webhooks.audit.AuditTrail;
import dev.dsync.webhooks.config.WebhooksConfig;
import dev.dsync.webhooks.delivery.DeliveryWorker;
import dev.dsync.webhooks.security.SecretBox;
import dev.dsync.webhooks.security.UrlGuard;
import dev.dsync.webhooks.signing.WebhookSecret;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Creates, changes and removes a tenant's endpoints and their secrets; every change is audited. */
@ApplicationScoped
public class EndpointService {

  private final WebhooksConfig config;
  private final UrlGuard guard;
  private final SecretBox box;
  private final AuditTrail audit;
  private final DeliveryWorker worker;

  public EndpointService(
      WebhooksConfig config, UrlGuard guard, SecretBox box, AuditTrail audit, DeliveryWorker worker) {
    this.config = config;
    this.guard = guard;
    this.box = box;
    this.audit = audit;
    this.worker = worker;
  }

  public Uni<EndpointView> create(String tenantId, Actor actor, EndpointRequest request) {
    WebhookSecret secret = validate(request, true);
    return checkUrl(request.url())
        .chain(
            url ->
                Panache.withTransaction(
                    () -> {
                      Instant now = now();
                      Endpoint e = new Endpoint();
                      e.id = UUID.randomUUID();
                      e.tenantId = tenantId;
                      e.createdAt = now;
                      apply(e, request, url, now);
                      e.secret = box.encrypt(secret.key(), sealedFor(e.id));
                      return e.<Endpoint>persist()
                          .chain(() -> audit.endpoint(tenantId, actor, "webhook_endpoint.created", e.id, details(e)))
                          .replaceWith(() -> EndpointView.of(e, secret.value()));
                    }));
  }

  @WithSession
  public Uni<Page<EndpointView>> list(String tenantId, String cursor, Integer limit) {
    Cursor after = Cursor.decode(cursor);
    int size = Cursor.limit(limit);
    var query =
        after == null
            ? Endpoint.<Endpoint>find("tenantId = ?1 order by createdAt, id", tenantId)
            : Endpoint.<Endpoint>find(
                "tenantId = ?1 and (createdAt > ?2 or (createdAt = ?2 and id > ?3)) order by createdAt, id",
                tenantId,
                after.time(),
                after.id());
    return query
        .page(0, size + 1)
        .list()
        .map(
            rows -> {
              boolean more = rows.size() > size;
              List<Endpoint> page = more ? rows.subList(0, size) : rows;
              String next = more ? new Cursor(page.get(size - 1).createdAt, page.get(size - 1).id).encode() : null;
              return new Page<>(page.stream().map(e -> EndpointView.of(e, null)).toList(), next);
            });
  }

  @WithSession
  public Uni<EndpointView> get(String tenantId, UUID id) {
    return find(tenantId, id).map(e -> EndpointView.of(e, null));
  }

  public Uni<EndpointView> update(String tenantId, Actor actor, UUID id, EndpointRequest request) {
    validate(request, false);
    return checkUrl(request.url())
        .chain(
            url ->
                Panache.withTransaction(
                    () ->
                        find(tenantId, id)
                            .chain(
                                e -> {
                                  boolean wasEnabled = e.enabled;
                                  apply(e, request, url, now());
                                  if (e.enabled && !wasEnabled) {
                                    // Re-enabled by an administrator: the failure run starts over.
                                    e.disabledReason = null;
                                    e.failingSince = null;
                                  }
                                  return audit
                                      .endpoint(tenantId, actor, "webhook_endpoint.updated", e.id, details(e))
                                      .replaceWith(() -> EndpointView.of(e, null));
                                })))
        .invoke(view -> worker.wake());
  }

  public Uni<Void> delete(String tenantId, Actor actor, UUID id) {
    return Panache.withTransaction(
        () ->
            find(tenantId, id)
                .chain(e -> removeDeliveries(id)
                    .chain(e::delete)
                    .chain(() -> audit.endpoint(tenantId, actor, "webhook_endpoint.deleted", id, Map.of("url", e.url))))
                .replaceWithVoid());
  }

  /**
   * An endpoint's deliveries and attempts go with it (no foreign keys on those hot tables, see V3).
   * The endpoint is locked first, in its own statement: an intake batch that read it as a
   * subscriber holds a key-share lock until it commits, so its deliveries are visible to the
   * deletes that follow, and a later batch waits and then no longer finds the endpoint.
   */
  private static Uni<Void> removeDeliveries(UUID endpointId) {
    return Panache.getSession()
        .chain(session -> session.createNativeQuery("select id from endpoint where id = :id for update")
            .setParameter("id", endpointId)
            .getResultList()
            .chain(locked -> session.createNativeQuery(
                    "with a as (delete from attempt where endpoint_id = :id) delete from delivery where endpoint_id = :id")
                .setParameter("id", endpointId)
                .executeUpdate()))
        .replaceWithVoid();
  }

  /** The current signing secret; reading it is audited like a change. */
  public Uni<EndpointView.SecretView> secret(String tenantId, Actor actor, UUID id) {
    return Panache.withTransaction(
        () ->
            find(tenantId, id)
                .chain(
                    e -> {
                      String value = WebhookSecret.ofKey(box.decrypt(e.secret, sealedFor(e.id))).value();
                      return audit
                          .endpoint(tenantId, actor, "webhook_endpoint.secret_viewed", id, Map.of())
                          .replaceWith(new EndpointView.SecretView(value, activePreviousExpiry(e)));
                    }));
  }

  /**
   * Replaces the secret; the old one keeps signing (as a second signature) until the overlap ends,
   * so receivers can switch without dropping messages.
   */
  public Uni<EndpointView.SecretView> rotate(String tenantId, Actor actor, UUID id, String requested) {
    WebhookSecret next;
    try {
      next = requested == null || requested.isBlank() ? WebhookSecret.generate(config.secretBytes()) : WebhookSecret.parse(requested);
    } catch (IllegalArgumentException e) {
      throw ProblemException.invalid(List.of(new Problem.FieldError("secret", e.getMessage())));
    }
    return Panache.withTransaction(
        () ->
            find(tenantId, id)
                .chain(
                    e -> {
                      Instant now = now();
                      e.previousSecret = e.secret;
                      e.previousSecretExpiresAt = now.plus(config.secretRotationOverlap());
                      e.secret = box.encrypt(next.key(), sealedFor(e.id));
                      e.updatedAt = now;
                      Map<String, Object> details = Map.of("previousSecretExpiresAt", e.previousSecretExpiresAt.toString());
                      return audit
                          .endpoint(tenantId, actor, "webhook_endpoint.secret_rotated", id, details)
                          .replaceWith(new EndpointView.SecretView(next.value(), e.previousSecretExpiresAt));
                    }));
  }

  /** The tenant's endpoint, or 404 (also for another tenant's id: its existence is not revealed). */
  public static Uni<Endpoint> find(String tenantId, UUID id) {
    return Endpoint.<Endpoint>find("id = ?1 and tenantId = ?2", id, tenantId)
        .firstResult()
        .onItem()
        .ifNull()
        .failWith(() -> ProblemException.notFound("webhook endpoint", id.toString()));
  }

  /** The associated data a secret is sealed with: it opens only for its own endpoint. */
  public static String sealedFor(UUID endpointId) {
    return "endpoint:" + endpointId;
  }

  private static Instant activePreviousExpiry(Endpoint e) {
    return e.previousSecretExpiresAt != null && e.previousSecretExpiresAt.isAfter(Instant.now()) ? e.previousSecretExpiresAt : null;
  }

  private WebhookSecret validate(EndpointRequest request, boolean creating) {
    List<Problem.FieldError> errors = new ArrayList<>();
    if (request.eventTypes() != null) {
      for (String type : request.eventTypes()) {
        if (!isIdentityEventType(type)) {
          errors.add(new Problem.FieldError("eventTypes", "unknown event type " + type));
        }
      }
    }
    WebhookSecret secret = null;
    if (request.secret() != null) {
      if (!creating) {
        errors.add(new Problem.FieldError("secret", "change the secret with the rotate call"));
      } else {
        try {
          secret = WebhookSecret.parse(request.secret());
        } catch (IllegalArgumentException e) {
          errors.add(new Problem.FieldError("secret", e.getMessage()));
        }
      }
    }
    try {
      guard.parse(request.url());
    } catch (UrlGuard.Refused e) {
      errors.add(new Problem.FieldError("url", e.getMessage()));
    }
    if (!errors.isEmpty()) {
      throw ProblemException.invalid(errors);
    }
    return secret != null ? secret : creating ? WebhookSecret.generate(config.secretBytes()) : null;
  }

  private Uni<String> checkUrl(String url) {
    return guard
        .check(url)
        .map(uri -> uri.toString())
        .onFailure(UrlGuard.Refused.class)
        .transform(e -> ProblemException.invalid(List.of(new Problem.FieldError("url", e.getMessage()))));
  }

  private static boolean isIdentityEventType(String type) {
    try {
      return EventType.of(type).topic() == Topic.IDENTITY_EVENTS;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static void apply(Endpoint e, EndpointRequest r, String url, Instant now) {
    e.url = url;
    e.description = r.description();
    e.eventTypeList(r.eventTypes());
    e.directoryIdList(r.directoryIds());
    e.enabled = r.enabled() == null || r.enabled();
    if (!e.enabled && e.disabledReason == null) {
      e.disabledReason = "disabled by an administrator";
    }
    e.rateLimit = r.rateLimit();
    e.updatedAt = now;
  }

  private static Map<String, Object> details(Endpoint e) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("url", e.url);
    d.put("enabled", e.enabled);
    d.put("eventTypes", e.eventTypeList());
    d.put("directoryIds", e.directoryIdList());
    return d;
  }

  private static Instant now() {
    // PostgreSQL keeps microseconds; truncating here keeps cursors exact.
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }
}
