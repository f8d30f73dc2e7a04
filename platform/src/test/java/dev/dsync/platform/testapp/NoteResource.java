package dev.dsync.platform.testapp;

import dev.dsync.events.EventType;
import dev.dsync.events.audit.AuditRecord;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.platform.tenancy.Roles;
import dev.dsync.platform.tenancy.TenantContext;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.DefaultValue;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.resteasy.reactive.ResponseStatus;

/** Test app: tenant-scoped notes whose creation is audited through the outbox. */
@Path("/api/v1/notes")
@RolesAllowed({Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN})
public class NoteResource {

  public record NewNote(@NotBlank @Size(max = 200) String text) {}

  public record NoteView(UUID id, String text) {}

  private final TenantContext tenant;
  private final Outbox outbox;
  private final io.vertx.mutiny.sqlclient.Pool pool;

  public NoteResource(TenantContext tenant, Outbox outbox, io.vertx.mutiny.sqlclient.Pool pool) {
    this.pool = pool;
    this.tenant = tenant;
    this.outbox = outbox;
  }

  @POST
  @ResponseStatus(201)
  @WithTransaction
  public Uni<NoteView> create(@Valid NewNote body) {
    return save(body.text());
  }

  /**
   * Creates a note, then appends a second event padded to {@code padding} characters through the
   * reactive SQL client: an event too large to publish must undo the note too.
   */
  @POST
  @Path("/padded/{padding}")
  @ResponseStatus(201)
  @WithTransaction
  public Uni<NoteView> createPadded(@Valid NewNote body, @PathParam("padding") int padding) {
    AuditRecord padded = new AuditRecord(tenant.actor(), "note.padded", "note", body.text(), AuditRecord.Outcome.SUCCESS, Instant.now(),
        Map.of("padding", "x".repeat(Math.max(0, Math.min(padding, 100_000)))));
    return save(body.text())
        .call(() -> outbox.append(OutboxMessage.of(EventType.AUDIT_RECORD, tenant.tenantId(), tenant.tenantId(), null, body.text(), padded)));
  }

  /** Creates several notes in one transaction (one outbox batch). */
  @POST
  @Path("/batch")
  @ResponseStatus(201)
  @WithTransaction
  public Uni<List<NoteView>> createAll(@NotEmpty List<@Valid NewNote> body) {
    Uni<List<NoteView>> all = Uni.createFrom().item(new java.util.ArrayList<>());
    for (NewNote n : body) {
      all = all.chain(list -> save(n.text()).map(v -> { list.add(v); return list; }));
    }
    return all;
  }

  /**
   * Appends {@code count} audit events for one key in one {@link Outbox#appendAll} call, with a
   * tombstone of the note's state in the middle (several multi-row statements).
   */
  @POST
  @Path("/appended/{count}")
  @ResponseStatus(201)
  @WithTransaction
  public Uni<Void> appendMany(@PathParam("count") int count) {
    return outbox.appendAll(bulk(count));
  }

  /** The same list through the reactive SQL client's form (one unnest statement). */
  @POST
  @Path("/appended-sql/{count}")
  @ResponseStatus(201)
  public Uni<Void> appendManySql(@PathParam("count") int count, @QueryParam("keys") @DefaultValue("1") int keys) {
    List<OutboxMessage> messages = bulk(count, keys);
    return pool.withTransaction(conn -> outbox.appendAll(conn, messages));
  }

  private List<OutboxMessage> bulk(int count) {
    return bulk(count, 1);
  }

  /** Audit events spread round-robin over {@code keys} Kafka keys (the tenant's id, then "tenant/k"). */
  private List<OutboxMessage> bulk(int count, int keys) {
    if (count < 1 || count > 1000) {
      throw ProblemException.invalid(List.of(new dev.dsync.platform.errors.Problem.FieldError("count", "must be between 1 and 1000")));
    }
    String key = "bulk-" + UUID.randomUUID();
    List<OutboxMessage> messages = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (i == count / 2) {
        messages.add(OutboxMessage.tombstone(EventType.IDENTITY_STATE, tenant.tenantId() + ":" + key, tenant.tenantId(), null, key));
      }
      AuditRecord audit = new AuditRecord(tenant.actor(), "note.bulk", "note", key, AuditRecord.Outcome.SUCCESS, Instant.now(), Map.of("i", i));
      String kafkaKey = i % keys == 0 ? tenant.tenantId() : tenant.tenantId() + "/" + (i % keys);
      messages.add(OutboxMessage.of(EventType.AUDIT_RECORD, kafkaKey, tenant.tenantId(), null, key, audit));
    }
    return messages;
  }

  @GET
  @WithSession
  public Uni<List<NoteView>> list() {
    return Note.<Note>list("tenantId", tenant.tenantId())
        .map(notes -> notes.stream().map(n -> new NoteView(n.id, n.text)).toList());
  }

  @GET
  @Path("/{id}")
  @WithSession
  public Uni<NoteView> get(@PathParam("id") UUID id) {
    return find(id).map(n -> new NoteView(n.id, n.text));
  }

  @DELETE
  @Path("/{id}")
  @ResponseStatus(204)
  @WithTransaction
  public Uni<Void> delete(@PathParam("id") UUID id) {
    // The note's compacted state goes with it: a tombstone for its key.
    return find(id)
        .chain(n -> n.delete())
        .chain(() -> outbox.append(OutboxMessage.tombstone(
            EventType.IDENTITY_STATE, tenant.tenantId() + ":" + id, tenant.tenantId(), null, id.toString())))
        .replaceWithVoid();
  }

  private Uni<Note> find(UUID id) {
    // The tenant is part of the lookup: another tenant's id is simply not found.
    return Note.<Note>find("id = ?1 and tenantId = ?2", id, tenant.tenantId())
        .firstResult()
        .onItem()
        .ifNull()
        .failWith(() -> ProblemException.notFound("note", id.toString()));
  }

  private Uni<NoteView> save(String text) {
    Note note = new Note();
    note.id = UUID.randomUUID();
    note.tenantId = tenant.tenantId();
    note.text = text;
    note.createdAt = Instant.now();
    AuditRecord audit =
        new AuditRecord(
            tenant.actor(), "note.created", "note", note.id.toString(), AuditRecord.Outcome.SUCCESS, note.createdAt, Map.of());
    return note.<Note>persist()
        .chain(
            saved ->
                outbox.append(
                    OutboxMessage.of(EventType.AUDIT_RECORD, note.tenantId, note.tenantId, null, note.id.toString(), audit)))
        .replaceWith(new NoteView(note.id, note.text));
  }
}
