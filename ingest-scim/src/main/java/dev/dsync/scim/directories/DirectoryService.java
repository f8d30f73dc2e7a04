package dev.dsync.scim.directories;

import dev.dsync.events.Actor;
import dev.dsync.events.EventType;
import dev.dsync.events.audit.AuditRecord;
import dev.dsync.events.source.DirectoryChanged;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.scim.ScimConfig;
import dev.dsync.scim.auth.ScimTokens;
import dev.dsync.scim.auth.TokenAuthenticator;
import dev.dsync.scim.directories.DirectoryViews.CreatedDirectory;
import dev.dsync.scim.directories.DirectoryViews.CreatedToken;
import dev.dsync.scim.directories.DirectoryViews.DirectoryChange;
import dev.dsync.scim.directories.DirectoryViews.DirectoryView;
import dev.dsync.scim.directories.DirectoryViews.TokenView;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * SCIM directories and their tokens, always within the caller's tenant. Every change writes its
 * audit record and its {@code dsync.source.directory.changed} event in the same transaction.
 */
@ApplicationScoped
public class DirectoryService {

  private final Pool pool;
  private final Outbox outbox;
  private final ScimConfig config;
  private final TokenAuthenticator tokens;

  public DirectoryService(Pool pool, Outbox outbox, ScimConfig config, TokenAuthenticator tokens) {
    this.pool = pool;
    this.outbox = outbox;
    this.config = config;
    this.tokens = tokens;
  }

  public Uni<CreatedDirectory> create(String tenant, Actor actor, String name) {
    UUID id = UUID.randomUUID();
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    return pool.withTransaction(
        tx ->
            tx.preparedQuery("insert into scim_directory (id, tenant_id, name, state, created_at, updated_at) values ($1, $2, $3, 'ACTIVE', $4, $4)")
                .execute(Tuple.of(id, tenant, name.trim(), now))
                .chain(() -> insertToken(tx, id, null))
                .call(t -> directoryChanged(tx, tenant, actor, id, name.trim(), DirectoryChanged.DirectoryState.ACTIVE, DirectoryChanged.Change.CREATED))
                .call(t -> audit(tx, tenant, actor, "scim_directory.created", id, Map.of("name", name.trim())))
                .call(t -> audit(tx, tenant, actor, "scim_token.created", id, Map.of("tokenId", t.id().toString())))
                .map(t -> new CreatedDirectory(view(id, name.trim(), "ACTIVE", now, now), t)));
  }

  public Uni<List<DirectoryView>> list(String tenant) {
    return pool.preparedQuery("select * from scim_directory where tenant_id = $1 order by created_at, id")
        .execute(Tuple.of(tenant))
        .map(rows -> {
          List<DirectoryView> out = new ArrayList<>();
          rows.forEach(r -> out.add(view(r)));
          return out;
        });
  }

  public Uni<DirectoryView> get(String tenant, UUID id) {
    return find(pool, tenant, id, false).map(this::view);
  }

  public Uni<DirectoryView> change(String tenant, Actor actor, UUID id, DirectoryChange change) {
    if (change.name() == null && change.state() == null) {
      throw ProblemException.badRequest("nothing to change: give name and/or state");
    }
    return pool.withTransaction(
        tx ->
            find(tx, tenant, id, true)
                .chain(
                    row -> {
                      String name = change.name() == null ? row.getString("name") : change.name().trim();
                      String oldState = row.getString("state");
                      String state = change.state() == null ? oldState : change.state();
                      OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
                      DirectoryChanged.Change what =
                          state.equals(oldState)
                              ? DirectoryChanged.Change.UPDATED
                              : state.equals("ACTIVE") ? DirectoryChanged.Change.ACTIVATED : DirectoryChanged.Change.DEACTIVATED;
                      String action =
                          switch (what) {
                            case ACTIVATED -> "scim_directory.activated";
                            case DEACTIVATED -> "scim_directory.deactivated";
                            default -> "scim_directory.updated";
                          };
                      return tx.preparedQuery("update scim_directory set name = $2, state = $3, updated_at = $4 where id = $1")
                          .execute(Tuple.of(id, name, state, now))
                          .call(() -> directoryChanged(tx, tenant, actor, id, name, DirectoryChanged.DirectoryState.valueOf(state), what))
                          .call(() -> audit(tx, tenant, actor, action, id, Map.of("name", name, "state", state)))
                          .map(ok -> view(id, name, state, row.getOffsetDateTime("created_at"), now));
                    }))
        .invoke(() -> tokens.forget(id));
  }

  public Uni<Void> delete(String tenant, Actor actor, UUID id) {
    return pool.withTransaction(
            tx ->
                find(tx, tenant, id, true)
                    .chain(
                        row ->
                            tx.preparedQuery("delete from scim_directory where id = $1")
                                .execute(Tuple.of(id))
                                .call(() -> directoryChanged(tx, tenant, actor, id, row.getString("name"), DirectoryChanged.DirectoryState.DELETED, DirectoryChanged.Change.DELETED))
                                .call(() -> audit(tx, tenant, actor, "scim_directory.deleted", id, Map.of("name", row.getString("name"))))))
        .invoke(() -> tokens.forget(id))
        .replaceWithVoid();
  }

  public Uni<CreatedToken> createToken(String tenant, Actor actor, UUID directoryId, Integer expiresInDays) {
    return pool.withTransaction(
        tx ->
            find(tx, tenant, directoryId, true)
                .chain(() -> insertToken(tx, directoryId, expiresInDays))
                .call(t -> audit(tx, tenant, actor, "scim_token.created", directoryId, Map.of("tokenId", t.id().toString()))));
  }

  public Uni<List<TokenView>> listTokens(String tenant, UUID directoryId) {
    return find(pool, tenant, directoryId, false)
        .chain(() -> pool.preparedQuery("select * from scim_token where directory_id = $1 and revoked_at is null order by created_at").execute(Tuple.of(directoryId)))
        .map(rows -> {
          List<TokenView> out = new ArrayList<>();
          rows.forEach(r -> out.add(new TokenView(r.getUUID("id"), r.getString("hint"), r.getOffsetDateTime("created_at"), r.getOffsetDateTime("expires_at"), r.getOffsetDateTime("last_used_at"))));
          return out;
        });
  }

  public Uni<Void> revokeToken(String tenant, Actor actor, UUID directoryId, UUID tokenId) {
    return pool.withTransaction(
            tx ->
                find(tx, tenant, directoryId, true)
                    .chain(() -> tx.preparedQuery("update scim_token set revoked_at = now() where id = $1 and directory_id = $2 and revoked_at is null").execute(Tuple.of(tokenId, directoryId)))
                    .chain(rows -> {
                      if (rows.rowCount() == 0) {
                        return Uni.createFrom().failure(ProblemException.notFound("token", tokenId.toString()));
                      }
                      return audit(tx, tenant, actor, "scim_token.revoked", directoryId, Map.of("tokenId", tokenId.toString()));
                    }))
        .invoke(() -> tokens.forget(directoryId))
        .replaceWithVoid();
  }

  private Uni<CreatedToken> insertToken(SqlClient tx, UUID directoryId, Integer expiresInDays) {
    String value = ScimTokens.generate();
    UUID id = UUID.randomUUID();
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    OffsetDateTime expires = expiresInDays == null ? null : now.plusDays(expiresInDays);
    return tx.preparedQuery("insert into scim_token (id, directory_id, token_hash, hint, created_at, expires_at) values ($1, $2, $3, $4, $5, $6)")
        .execute(Tuple.from(new Object[] {id, directoryId, ScimTokens.hash(value), ScimTokens.hint(value), now, expires}))
        .map(ok -> new CreatedToken(id, value, ScimTokens.hint(value), now, expires));
  }

  /** The tenant's directory row; 404 for another tenant's directory, exactly as for none. */
  private Uni<Row> find(SqlClient client, String tenant, UUID id, boolean lock) {
    return client.preparedQuery("select * from scim_directory where id = $1 and tenant_id = $2" + (lock ? " for update" : ""))
        .execute(Tuple.of(id, tenant))
        .map(rows -> {
          if (rows.size() == 0) {
            throw ProblemException.notFound("scim directory", id.toString());
          }
          return rows.iterator().next();
        });
  }

  private Uni<UUID> directoryChanged(
      SqlClient tx, String tenant, Actor actor, UUID id, String name, DirectoryChanged.DirectoryState state, DirectoryChanged.Change change) {
    DirectoryChanged data = new DirectoryChanged(id.toString(), name, "scim", state, change, Instant.now(), actor);
    return outbox.append(tx, OutboxMessage.of(EventType.SOURCE_DIRECTORY_CHANGED, id.toString(), tenant, id.toString(), id.toString(), data));
  }

  private Uni<UUID> audit(SqlClient tx, String tenant, Actor actor, String action, UUID directoryId, Map<String, Object> details) {
    AuditRecord record = new AuditRecord(actor, action, "scim_directory", directoryId.toString(), AuditRecord.Outcome.SUCCESS, Instant.now(), details);
    return outbox.append(tx, OutboxMessage.of(EventType.AUDIT_RECORD, tenant, tenant, directoryId.toString(), directoryId.toString(), record));
  }

  private DirectoryView view(Row r) {
    return view(r.getUUID("id"), r.getString("name"), r.getString("state"), r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at"));
  }

  private DirectoryView view(UUID id, String name, String state, OffsetDateTime created, OffsetDateTime updated) {
    return new DirectoryView(id, name, state, config.publicBaseUrl() + "/scim/v2/" + id, created, updated);
  }
}
