package dev.dsync.poller.connections;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.Actor;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.audit.AuditRecord;
import dev.dsync.events.source.DirectoryChanged;
import dev.dsync.platform.errors.Problem;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.poller.PollerConfig;
import dev.dsync.poller.connections.ConnectionViews.ConnectionChange;
import dev.dsync.poller.connections.ConnectionViews.ConnectionView;
import dev.dsync.poller.connections.ConnectionViews.NewConnection;
import dev.dsync.poller.connections.ConnectionViews.Schedule;
import dev.dsync.poller.source.ConnectionType;
import dev.dsync.poller.source.Connector;
import dev.dsync.poller.source.Connectors;
import dev.dsync.poller.source.JobStats;
import dev.dsync.poller.source.JsonColumns;
import dev.dsync.poller.source.SourceContext;
import dev.dsync.poller.source.SourceException;
import dev.dsync.poller.source.TestReport;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Instant;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Polling connections, always within the caller's tenant. Every change writes its audit record
 * (and, for the directory itself, a {@code dsync.source.directory.changed}) in its transaction.
 */
@ApplicationScoped
public class ConnectionService {

  /** Keys that look like secrets are refused in settings: they belong in the write-only credentials. */
  private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(secret|password|token|apikey|api_key|privatekey|private_key).*");
  private static final String DEFAULT_COMPLETE_AT = "03:00";

  private final Pool pool;
  private final Outbox outbox;
  private final CredentialCipher cipher;
  private final Connectors connectors;
  private final PollerConfig config;

  public ConnectionService(Pool pool, Outbox outbox, CredentialCipher cipher, Connectors connectors, PollerConfig config) {
    this.pool = pool;
    this.outbox = outbox;
    this.cipher = cipher;
    this.connectors = connectors;
    this.config = config;
  }

  public Uni<ConnectionView> create(String tenant, Actor actor, NewConnection body) {
    ConnectionType type = ConnectionType.of(body.type());
    Connector connector = connectorFor(type, body.type());
    ObjectNode scope = body.scope() == null ? JsonNodeFactory.instance.objectNode() : body.scope();
    ObjectNode credentials = body.credentials() == null ? JsonNodeFactory.instance.objectNode() : body.credentials();
    validate(connector, body.settings(), scope, credentials);
    UUID id = UUID.randomUUID();
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    int every = body.schedule() == null || body.schedule().incrementalMinutes() == null
        ? config.defaultIncrementalMinutes() : body.schedule().incrementalMinutes();
    String completeAt = body.schedule() == null || body.schedule().completeDailyAt() == null
        ? DEFAULT_COMPLETE_AT : body.schedule().completeDailyAt();
    String name = body.name().trim();
    return pool.withTransaction(
        tx -> tx.preparedQuery(
                "insert into connection (id, tenant_id, name, type, settings, scope, credentials, credentials_key_id, state,"
                    + " incremental_minutes, complete_daily_at, next_incremental_at, next_complete_at, created_at, updated_at)"
                    + " values ($1, $2, $3, $4, cast(cast($5 as text) as jsonb), cast(cast($6 as text) as jsonb), $7, $8, 'ACTIVE',"
                    + " $9, $10, $11, $12, $13, $13)")
            .execute(Tuple.from(new Object[] {
                id, tenant, name, type.wire(), json(body.settings()), json(scope),
                io.vertx.core.buffer.Buffer.buffer(cipher.encrypt(id, credentials)), cipher.keyId(),
                every, LocalTime.parse(completeAt),
                // The first run is due at once: with no incremental state it lists everything.
                now, nextDaily(LocalTime.parse(completeAt), now), now}))
            .call(() -> directoryChanged(tx, tenant, actor, id, name, type, DirectoryChanged.DirectoryState.ACTIVE, DirectoryChanged.Change.CREATED))
            .call(() -> audit(tx, tenant, actor, "connection.created", id, AuditRecord.Outcome.SUCCESS,
                details("name", name, "type", type.wire(), "credentialFields", fieldNames(credentials))))
            .chain(() -> find(tx, tenant, id, false))
            .map(this::view));
  }

  public Uni<List<ConnectionView>> list(String tenant) {
    return pool.preparedQuery("select * from connection where tenant_id = $1 order by created_at, id")
        .execute(Tuple.of(tenant))
        .map(rows -> {
          List<ConnectionView> out = new ArrayList<>();
          rows.forEach(r -> out.add(view(r)));
          return out;
        });
  }

  public Uni<ConnectionView> get(String tenant, UUID id) {
    return find(pool, tenant, id, false).map(this::view);
  }

  public Uni<ConnectionView> change(String tenant, Actor actor, UUID id, ConnectionChange change) {
    if (change.name() == null && change.settings() == null && change.scope() == null && change.credentials() == null
        && change.schedule() == null && change.state() == null) {
      throw ProblemException.badRequest("nothing to change: give name, settings, scope, credentials, schedule and/or state");
    }
    return pool.withTransaction(tx -> find(tx, tenant, id, true).chain(row -> {
      ConnectionType type = ConnectionType.of(row.getString("type"));
      Connector connector = connectorFor(type, row.getString("type"));
      ObjectNode settings = change.settings() != null ? change.settings() : JsonColumns.object(row, "settings");
      ObjectNode scope = change.scope() != null ? change.scope() : JsonColumns.object(row, "scope");
      ObjectNode credentials = change.credentials() != null ? change.credentials() : cipher.decrypt(id, bytes(row));
      validate(connector, settings, scope, credentials);
      String name = change.name() == null ? row.getString("name") : change.name().trim();
      String oldState = row.getString("state");
      // Resuming or new credentials clear invalid_credentials/error: the next run will tell again.
      String state = change.state() != null ? change.state()
          : change.credentials() != null && !"PAUSED".equals(oldState) ? "ACTIVE" : oldState;
      Integer every = change.schedule() != null && change.schedule().incrementalMinutes() != null
          ? change.schedule().incrementalMinutes() : row.getInteger("incremental_minutes");
      LocalTime completeAt = change.schedule() != null && change.schedule().completeDailyAt() != null
          ? LocalTime.parse(change.schedule().completeDailyAt()) : row.getLocalTime("complete_daily_at");
      OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
      Object credentialsValue = change.credentials() == null ? bytesBuffer(row) : io.vertx.core.buffer.Buffer.buffer(cipher.encrypt(id, credentials));
      List<String> changed = new ArrayList<>();
      if (change.name() != null) changed.add("name");
      if (change.settings() != null) changed.add("settings");
      if (change.scope() != null) changed.add("scope");
      if (change.schedule() != null) changed.add("schedule");
      if (change.state() != null) changed.add("state");
      Uni<Void> audits = audit(tx, tenant, actor, "connection.updated", id, AuditRecord.Outcome.SUCCESS,
          details("changed", changed, "state", state)).replaceWithVoid();
      if (change.credentials() != null) {
        audits = audits.chain(() -> audit(tx, tenant, actor, "connection.credentials_replaced", id, AuditRecord.Outcome.SUCCESS,
            details("credentialFields", fieldNames(credentials)))).replaceWithVoid();
      }
      DirectoryChanged.Change what = state.equals(oldState) || !("PAUSED".equals(state) || "PAUSED".equals(oldState))
          ? DirectoryChanged.Change.UPDATED
          : "PAUSED".equals(state) ? DirectoryChanged.Change.DEACTIVATED : DirectoryChanged.Change.ACTIVATED;
      DirectoryChanged.DirectoryState dirState = "PAUSED".equals(state) ? DirectoryChanged.DirectoryState.INACTIVE : DirectoryChanged.DirectoryState.ACTIVE;
      Uni<Void> finalAudits = audits;
      return tx.preparedQuery(
              "update connection set name = $2, settings = cast(cast($3 as text) as jsonb), scope = cast(cast($4 as text) as jsonb),"
                  + " credentials = $5, credentials_key_id = $6, state = $7, state_reason = case when $7 = state then state_reason else null end,"
                  + " incremental_minutes = $8, complete_daily_at = $9, next_complete_at = $10, updated_at = $11 where id = $1")
          .execute(Tuple.from(new Object[] {id, name, json(settings), json(scope), credentialsValue, cipher.keyId(), state, every, completeAt,
              nextDaily(completeAt, now), now}))
          .call(() -> finalAudits)
          .call(() -> directoryChanged(tx, tenant, actor, id, name, type, dirState, what))
          .chain(() -> find(tx, tenant, id, false))
          .map(this::view);
    }));
  }

  public Uni<Void> delete(String tenant, Actor actor, UUID id) {
    return pool.withTransaction(tx -> find(tx, tenant, id, true).chain(row ->
        tx.preparedQuery("delete from connection where id = $1").execute(Tuple.of(id))
            .call(() -> directoryChanged(tx, tenant, actor, id, row.getString("name"), ConnectionType.of(row.getString("type")),
                DirectoryChanged.DirectoryState.DELETED, DirectoryChanged.Change.DELETED))
            .call(() -> audit(tx, tenant, actor, "connection.deleted", id, AuditRecord.Outcome.SUCCESS, details("name", row.getString("name"))))))
        .replaceWithVoid();
  }

  /** Runs the connector's connectivity and permission checks and audits the outcome. */
  public Uni<TestReport> test(String tenant, Actor actor, UUID id) {
    return find(pool, tenant, id, false)
        .map(this::connection)
        .chain(c -> {
          Connector connector = connectors.require(c.type());
          return connector.test(context(c, null, new JobStats()))
              .onFailure(SourceException.class).recoverWithItem(e -> TestReport.of(List.of(new TestReport.Check("source", false, e.getMessage()))))
              .call(report -> pool.withTransaction(tx -> audit(tx, tenant, actor, "connection.tested", id,
                  report.ok() ? AuditRecord.Outcome.SUCCESS : AuditRecord.Outcome.FAILURE, details("ok", report.ok()))));
        });
  }

  /** The connection with decrypted credentials, for a job; not tenant-checked (jobs already belong to one). */
  public Uni<Connection> load(SqlClient client, UUID id) {
    return client.preparedQuery("select * from connection where id = $1").execute(Tuple.of(id))
        .map(rows -> {
          if (rows.size() == 0) {
            throw SourceException.rejected("connection " + id + " no longer exists");
          }
          return connection(rows.iterator().next());
        });
  }

  /** A source context for a job run or a test. */
  public static SourceContext context(Connection c, String incrementalState, JobStats stats) {
    return new SourceContext(c.id(), c.tenantId(), c.settings(), c.scope(), c.credentials(), incrementalState, stats);
  }

  private Connection connection(Row r) {
    UUID id = r.getUUID("id");
    byte[] stored = bytes(r);
    return new Connection(id, r.getString("tenant_id"), r.getString("name"), ConnectionType.of(r.getString("type")),
        JsonColumns.object(r, "settings"), JsonColumns.object(r, "scope"),
        stored == null ? JsonNodeFactory.instance.objectNode() : cipher.decrypt(id, stored),
        r.getString("state"), r.getString("incremental_state"));
  }

  private Connector connectorFor(ConnectionType type, String wire) {
    if (type == null) {
      throw ProblemException.invalid(List.of(new Problem.FieldError("type",
          "unknown type '" + wire + "': one of microsoft-graph, google-workspace, okta, ldap, scim-pull")));
    }
    return connectors.of(type).orElseThrow(() -> ProblemException.invalid(List.of(new Problem.FieldError("type",
        "no connector for '" + wire + "' in this version; available: " + String.join(", ", connectors.available())))));
  }

  private void validate(Connector connector, ObjectNode settings, ObjectNode scope, ObjectNode credentials) {
    List<Problem.FieldError> errors = new ArrayList<>();
    settings.fieldNames().forEachRemaining(k -> {
      if (SECRET_KEY.matcher(k).matches()) {
        errors.add(new Problem.FieldError("settings." + k, "looks like a secret: put it in credentials, which are encrypted and never shown"));
      }
    });
    errors.addAll(connector.validate(settings, scope, credentials));
    if (!errors.isEmpty()) {
      throw ProblemException.invalid(errors);
    }
  }

  /** The tenant's connection row; 404 for another tenant's connection, exactly as for none. */
  private Uni<Row> find(SqlClient client, String tenant, UUID id, boolean lock) {
    return client.preparedQuery("select * from connection where id = $1 and tenant_id = $2" + (lock ? " for update" : ""))
        .execute(Tuple.of(id, tenant))
        .map(rows -> {
          if (rows.size() == 0) {
            throw ProblemException.notFound("connection", id.toString());
          }
          return rows.iterator().next();
        });
  }

  /** Finds a tenant's connection or fails with 404 (used by the jobs API). */
  public Uni<Row> require(SqlClient client, String tenant, UUID id) {
    return find(client, tenant, id, false);
  }

  private ConnectionView view(Row r) {
    UUID id = r.getUUID("id");
    byte[] stored = bytes(r);
    List<String> fields = stored == null ? List.of() : fieldNames(cipher.decrypt(id, stored));
    LocalTime at = r.getLocalTime("complete_daily_at");
    return new ConnectionView(id, r.getString("name"), r.getString("type"), JsonColumns.object(r, "settings"), JsonColumns.object(r, "scope"),
        new Schedule(r.getInteger("incremental_minutes"), at == null ? null : at.toString()),
        r.getString("state"), r.getString("state_reason"), fields, r.getOffsetDateTime("last_sync_at"),
        r.getOffsetDateTime("next_incremental_at"), r.getOffsetDateTime("next_complete_at"),
        r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at"));
  }

  static OffsetDateTime nextDaily(LocalTime at, OffsetDateTime now) {
    if (at == null) {
      return null;
    }
    OffsetDateTime today = now.toLocalDate().atTime(at).atOffset(ZoneOffset.UTC);
    return today.isAfter(now) ? today : today.plusDays(1);
  }

  private static byte[] bytes(Row r) {
    var b = r.getBuffer("credentials");
    return b == null ? null : b.getBytes();
  }

  private static Object bytesBuffer(Row r) {
    var b = r.getBuffer("credentials");
    return b == null ? null : b.getDelegate();
  }

  private static List<String> fieldNames(JsonNode credentials) {
    List<String> names = new ArrayList<>();
    credentials.fieldNames().forEachRemaining(names::add);
    names.sort(String::compareTo);
    return names;
  }

  private static String json(JsonNode node) {
    return EventJson.write(node);
  }

  private static Map<String, Object> details(Object... kv) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      out.put((String) kv[i], kv[i + 1]);
    }
    return out;
  }

  private Uni<UUID> directoryChanged(SqlClient tx, String tenant, Actor actor, UUID id, String name, ConnectionType type,
      DirectoryChanged.DirectoryState state, DirectoryChanged.Change change) {
    DirectoryChanged data = new DirectoryChanged(id.toString(), name, type.wire(), state, change, Instant.now(), actor);
    return outbox.append(tx, OutboxMessage.of(EventType.SOURCE_DIRECTORY_CHANGED, id.toString(), tenant, id.toString(), id.toString(), data));
  }

  /** Audit records name fields and outcomes only, never credential values. */
  public Uni<UUID> audit(SqlClient tx, String tenant, Actor actor, String action, UUID connectionId, AuditRecord.Outcome outcome, Map<String, Object> details) {
    AuditRecord record = new AuditRecord(actor, action, "connection", connectionId.toString(), outcome, Instant.now(), details);
    return outbox.append(tx, OutboxMessage.of(EventType.AUDIT_RECORD, tenant, tenant, connectionId.toString(), connectionId.toString(), record));
  }
}
