package dev.dsync.reconciler.matching;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.dsync.events.Actor;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.audit.AuditRecord;
import dev.dsync.events.source.UserUpserted;
import dev.dsync.platform.errors.Problem.FieldError;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.reconciler.api.Page;
import dev.dsync.reconciler.pipeline.ChangeApplier;
import dev.dsync.reconciler.pipeline.Reconciler;
import dev.dsync.reconciler.pipeline.SourceChange;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.vertx.mutiny.sqlclient.Tuple;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Lists disputed correlations and applies an administrator's decision. */
@ApplicationScoped
public class DisputeAdmin {

  /** How an administrator settles a dispute. */
  public enum ResolveAction {
    /** Link the source user to one of the candidates. */
    LINK,
    /** Create a new canonical identity for it. */
    CREATE
  }

  /** The decision: LINK needs {@code identityId}, one of the candidates. */
  public record Resolve(ResolveAction action, UUID identityId) {}

  /** A dispute as the API shows it. */
  public record DisputeView(
      UUID id, String directoryId, String resourceId, List<UUID> candidates, String status, String resolution,
      Instant createdAt, Instant resolvedAt, String resolvedBy) {}

  private static final TypeReference<List<UUID>> IDS = new TypeReference<>() {};

  private final Reconciler reconciler;
  private final ChangeApplier applier;
  private final Outbox outbox;

  public DisputeAdmin(Reconciler reconciler, ChangeApplier applier, Outbox outbox) {
    this.reconciler = reconciler;
    this.applier = applier;
    this.outbox = outbox;
  }

  @WithSession
  public Uni<Page<DisputeView>> list(String tenantId, String status, String cursor, int limit) {
    int size = limit <= 0 ? 50 : Math.min(limit, 200);
    StringBuilder q = new StringBuilder("tenantId = :t");
    Parameters p = Parameters.with("t", tenantId);
    if (status != null) {
      q.append(" and status = :s");
      p.and("s", status.toUpperCase());
    }
    if (cursor != null) {
      q.append(" and id > :c");
      p.and("c", parseId(cursor));
    }
    return Dispute.<Dispute>find(q.append(" order by id").toString(), p)
        .range(0, size)
        .list()
        .map(rows -> {
          var items = rows.stream().limit(size).map(DisputeAdmin::view).toList();
          return new Page<>(items, rows.size() > size ? items.get(items.size() - 1).id().toString() : null);
        });
  }

  @WithSession
  public Uni<DisputeView> get(String tenantId, UUID id) {
    return owned(tenantId, id).map(DisputeAdmin::view);
  }

  /** Applies the held change with the administrator's decision, in one transaction with its events. */
  public Uni<DisputeView> resolve(String tenantId, UUID id, Resolve body, Actor actor) {
    if (body == null || body.action() == null) {
      return Uni.createFrom().failure(ProblemException.invalid(List.of(new FieldError("action", "must be LINK or CREATE"))));
    }
    if (body.action() == ResolveAction.LINK && body.identityId() == null) {
      return Uni.createFrom().failure(ProblemException.invalid(List.of(new FieldError("identityId", "is required for LINK"))));
    }
    return Panache.withSession(() -> owned(tenantId, id))
        .chain(d -> reconciler.withDirectory(tenantId, d.directoryId, tx ->
            // Re-read under the directory lock: a concurrent resolution or a newer held change may have changed it.
            tx.store.connection().preparedQuery("select status, event_type, payload, candidates from dispute where id = $1")
                .execute(Tuple.of(id))
                .chain(rows -> {
                  var row = rows.iterator().next();
                  d.status = row.getString(0);
                  d.eventType = row.getString(1);
                  d.payload = row.getString(2);
                  d.candidates = row.getString(3);
                  if (!"OPEN".equals(d.status)) {
                    throw ProblemException.conflict("dispute " + id + " is already " + d.status);
                  }
                  List<UUID> candidates = candidates(d);
                  if (body.action() == ResolveAction.LINK && !candidates.contains(body.identityId())) {
                    throw ProblemException.invalid(List.of(new FieldError("identityId", "must be one of the candidates " + candidates)));
                  }
                  SourceChange change = SourceChange.of(UUID.randomUUID(), d.eventType, tenantId, d.directoryId, d.payload);
                  ChangeApplier.Resolution resolution =
                      body.action() == ResolveAction.LINK ? new ChangeApplier.Resolution(body.identityId()) : ChangeApplier.Resolution.createNew();
                  return applier.upsertUser(tx, change, change.data(UserUpserted.class), resolution);
                })
                .chain(outcome -> {
                  d.status = "RESOLVED";
                  d.resolution = body.action() == ResolveAction.LINK ? "LINK:" + body.identityId() : "CREATE";
                  d.resolvedAt = Instant.now();
                  d.resolvedBy = actor.id();
                  AuditRecord audit = new AuditRecord(actor, "dispute.resolved", "dispute", id.toString(), AuditRecord.Outcome.SUCCESS,
                      d.resolvedAt, Map.of("resolution", d.resolution, "outcome", outcome.name()));
                  tx.emit(OutboxMessage.of(EventType.AUDIT_RECORD, tenantId, tenantId, d.directoryId, id.toString(), audit));
                  return tx.store.connection()
                      .preparedQuery("update dispute set status = $2, resolution = $3, resolved_at = now(), resolved_by = $4 where id = $1")
                      .execute(Tuple.of(id, d.status, d.resolution, d.resolvedBy));
                })
                .replaceWith(d)))
        .map(DisputeAdmin::view);
  }

  private Uni<Dispute> owned(String tenantId, UUID id) {
    return Dispute.<Dispute>findById(id)
        .map(d -> {
          if (d == null || !d.tenantId.equals(tenantId)) {
            throw ProblemException.notFound("dispute", id.toString());
          }
          return d;
        });
  }

  private static List<UUID> candidates(Dispute d) {
    try {
      return EventJson.mapper().readValue(d.candidates, IDS);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static DisputeView view(Dispute d) {
    return new DisputeView(d.id, d.directoryId, d.resourceId, candidates(d), d.status, d.resolution, d.createdAt, d.resolvedAt, d.resolvedBy);
  }

  private static UUID parseId(String cursor) {
    try {
      return UUID.fromString(cursor);
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest("cursor is not one this API returned");
    }
  }
}
