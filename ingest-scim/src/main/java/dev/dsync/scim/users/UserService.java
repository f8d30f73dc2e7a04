package dev.dsync.scim.users;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.unboundid.scim2.common.messages.PatchOperation;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.source.UserDeleted;
import dev.dsync.events.source.UserUpserted;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.scim.ScimConfig;
import dev.dsync.scim.auth.ScimCaller;
import dev.dsync.scim.filter.FilterTranslator;
import dev.dsync.scim.filter.ScimFilters;
import dev.dsync.scim.filter.SqlWhere;
import dev.dsync.scim.patch.PatchNormalizer;
import dev.dsync.scim.protocol.ScimProblem;
import dev.dsync.scim.resources.ListQuery;
import dev.dsync.scim.resources.Pages;
import dev.dsync.scim.resources.Preconditions;
import dev.dsync.scim.resources.Patches;
import dev.dsync.scim.resources.Projection;
import dev.dsync.scim.resources.Rendered;
import dev.dsync.scim.resources.ResourceDiff;
import dev.dsync.scim.resources.ResourceNormalizer;
import dev.dsync.scim.resources.Sorting;
import dev.dsync.scim.schema.ScimSchemas;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * SCIM Users of one directory: stored as documents with indexed columns, every write committed
 * together with its {@code dsync.source.*} event. A write that changes nothing emits nothing.
 */
@ApplicationScoped
public class UserService {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final String COLUMNS = "r.id, r.resource::text as resource, r.version, r.created_at, r.last_modified";

  private final Pool pool;
  private final Outbox outbox;
  private final ScimConfig config;

  public UserService(Pool pool, Outbox outbox, ScimConfig config) {
    this.pool = pool;
    this.outbox = outbox;
    this.config = config;
  }

  @WithSpan("scim.users.create")
  public Uni<Rendered> create(ScimCaller caller, JsonNode body) {
    ObjectNode doc = ResourceNormalizer.normalize(ScimSchemas.USERS, body, List.of());
    Columns cols = Columns.of(doc);
    UUID id = UUID.randomUUID();
    OffsetDateTime now = now();
    return pool.withTransaction(
            tx ->
                tx.preparedQuery(
                        "insert into scim_user (id, directory_id, user_name, user_name_lower, external_id, display_name, active, emails_lower, resource, version, created_at, last_modified)"
                            + " values ($1, $2, $3, $4, $5, $6, $7, $8, cast(cast($9 as text) as jsonb), 1, $10, $10)")
                    .execute(insertTuple(id, caller.directoryId(), cols, doc, now))
                    .chain(() -> {
                      Rendered r = render(id, doc, 1, now, now, caller, List.of());
                      return upserted(tx, caller, r, ResourceDiff.changed(null, doc)).replaceWith(r);
                    }))
        .onFailure(PgException.class)
        .transform(UserService::uniqueness);
  }

  public Uni<Rendered> get(ScimCaller caller, UUID id, Projection projection) {
    return find(pool, caller, id, false)
        .chain(row -> withGroups(pool, caller, List.of(row), projection).map(list -> list.get(0)));
  }

  @WithSpan("scim.users.replace")
  public Uni<Rendered> replace(ScimCaller caller, UUID id, JsonNode body, String ifMatch) {
    ObjectNode doc = ResourceNormalizer.normalize(ScimSchemas.USERS, body, List.of());
    return write(caller, id, ifMatch, current -> doc);
  }

  @WithSpan("scim.users.patch")
  public Uni<Rendered> patch(ScimCaller caller, UUID id, JsonNode body, String ifMatch) {
    ObjectNode normalized = PatchNormalizer.normalize(body, ScimSchemas.USERS);
    List<PatchOperation> ops = new ArrayList<>();
    normalized.withArray("Operations").forEach(op -> ops.add(Patches.parse(op)));
    return write(
        caller,
        id,
        ifMatch,
        current -> {
          ObjectNode working = current.deepCopy();
          Patches.apply(working, ops);
          return ResourceNormalizer.normalize(ScimSchemas.USERS, working, List.of());
        });
  }

  @WithSpan("scim.users.delete")
  public Uni<Void> delete(ScimCaller caller, UUID id) {
    return pool.withTransaction(
        tx ->
            find(tx, caller, id, true)
                .chain(row -> {
                  ObjectNode doc = (ObjectNode) EventJson.read(row.getString("resource"), JsonNode.class);
                  long version = row.getLong("version") + 1;
                  return tx.preparedQuery("delete from scim_user where id = $1").execute(Tuple.of(id))
                      .chain(() -> tx.preparedQuery("delete from scim_group_member where member_id = $1").execute(Tuple.of(id.toString())))
                      .chain(() -> outbox.append(tx, OutboxMessage.of(
                          EventType.SOURCE_USER_DELETED, caller.directoryId().toString(), caller.tenantId(), caller.directoryId().toString(), id.toString(),
                          new UserDeleted(id.toString(), text(doc, "externalId"), version, now().toInstant(), caller.actor(), null))));
                })
                .replaceWithVoid());
  }

  public Uni<ObjectNode> list(ScimCaller caller, ListQuery query) {
    List<Object> params = new ArrayList<>();
    params.add(caller.directoryId());
    String where = "r.directory_id = $1";
    if (query.filter() != null) {
      SqlWhere w = FilterTranslator.translate(ScimFilters.parse(query.filter(), config.maxFilterLength()), ScimSchemas.USERS, 2);
      where += " and " + w.sql();
      params.addAll(w.params());
    }
    String order = Sorting.orderBy(ScimSchemas.USERS, query.sortBy(), query.descending());
    String countSql = "select count(*) from scim_user r where " + where;
    String pageSql = "select " + COLUMNS + " from scim_user r where " + where + " order by " + order
        + " limit " + query.count() + " offset " + (query.startIndex() - 1);
    Tuple tuple = Tuple.from(params);
    return pool.preparedQuery(countSql).execute(tuple)
        .map(rows -> rows.iterator().next().getLong(0))
        .chain(total -> (query.count() == 0
                ? Uni.createFrom().item(List.<Row>of())
                : pool.preparedQuery(pageSql).execute(tuple).map(UserService::rows))
            .chain(rows -> withGroups(pool, caller, rows, query.projection()))
            .map(list -> Pages.listResponse(total, query.startIndex(), list.stream().map(r -> query.projection().apply(r.json())).toList())));
  }

  /** Locks the user, checks If-Match, computes the new document and writes it if it differs. */
  private Uni<Rendered> write(ScimCaller caller, UUID id, String ifMatch, java.util.function.Function<ObjectNode, ObjectNode> change) {
    return pool.withTransaction(
            tx ->
                find(tx, caller, id, true)
                    .chain(row -> {
                      long version = row.getLong("version");
                      Preconditions.checkIfMatch(ifMatch, version);
                      ObjectNode current = (ObjectNode) EventJson.read(row.getString("resource"), JsonNode.class);
                      ObjectNode next = change.apply(current);
                      Columns cols = Columns.of(next);
                      List<String> changed = ResourceDiff.changed(current, next);
                      OffsetDateTime created = row.getOffsetDateTime("created_at");
                      if (changed.isEmpty() && current.get("schemas").equals(next.get("schemas"))) {
                        return withGroups(tx, caller, List.of(row), Projection.ALL).map(l -> l.get(0));
                      }
                      long nextVersion = version + 1;
                      OffsetDateTime now = now();
                      return tx.preparedQuery(
                              "update scim_user set user_name = $3, user_name_lower = $4, external_id = $5, display_name = $6, active = $7,"
                                  + " emails_lower = $8, resource = cast(cast($9 as text) as jsonb), version = $10, last_modified = $11 where id = $1 and directory_id = $2")
                          .execute(Tuple.from(new Object[] {
                            id, caller.directoryId(), cols.userName(), cols.userName().toLowerCase(Locale.ROOT), cols.externalId(), cols.displayName(),
                            cols.active(), cols.emails(), next.toString(), nextVersion, now}))
                          .chain(() -> groupsOf(tx, List.of(id)))
                          .chain(groups -> {
                            Rendered r = render(id, next, nextVersion, created, now, caller, groups.getOrDefault(id.toString(), List.of()));
                            return upserted(tx, caller, r, changed).replaceWith(r);
                          });
                    }))
        .onFailure(PgException.class)
        .transform(UserService::uniqueness);
  }

  private Uni<UUID> upserted(SqlClient tx, ScimCaller caller, Rendered r, List<String> changed) {
    ObjectNode resource = r.json().deepCopy();
    resource.remove("groups");
    UserUpserted data = new UserUpserted(
        r.id().toString(), text(resource, "externalId"), r.version(), now().toInstant(), resource, changed, caller.actor(), null);
    return outbox.append(tx, OutboxMessage.of(
        EventType.SOURCE_USER_UPSERTED, caller.directoryId().toString(), caller.tenantId(), caller.directoryId().toString(), r.id().toString(), data));
  }

  private Uni<Row> find(SqlClient client, ScimCaller caller, UUID id, boolean lock) {
    return client.preparedQuery("select " + COLUMNS + " from scim_user r where r.id = $1 and r.directory_id = $2" + (lock ? " for update" : ""))
        .execute(Tuple.of(id, caller.directoryId()))
        .map(rows -> {
          if (rows.size() == 0) {
            throw ScimProblem.notFound("User " + id + " not found");
          }
          return rows.iterator().next();
        });
  }

  private Uni<List<Rendered>> withGroups(SqlClient client, ScimCaller caller, List<Row> rows, Projection projection) {
    if (rows.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    List<UUID> ids = rows.stream().map(r -> r.getUUID("id")).toList();
    Uni<Map<String, List<ObjectNode>>> groups = projection.includes("groups") ? groupsOf(client, ids) : Uni.createFrom().item(Map.of());
    return groups.map(g -> rows.stream()
        .map(r -> render(r.getUUID("id"), (ObjectNode) EventJson.read(r.getString("resource"), JsonNode.class), r.getLong("version"),
            r.getOffsetDateTime("created_at"), r.getOffsetDateTime("last_modified"), caller, g.getOrDefault(r.getUUID("id").toString(), List.of())))
        .toList());
  }

  /** Direct groups of each user, for the read-only {@code groups} attribute. */
  private Uni<Map<String, List<ObjectNode>>> groupsOf(SqlClient client, List<UUID> userIds) {
    String[] ids = userIds.stream().map(UUID::toString).toArray(String[]::new);
    return client.preparedQuery("select m.member_id, g.id, g.display_name from scim_group_member m join scim_group g on g.id = m.group_id where m.member_id = any($1) order by g.display_name")
        .execute(Tuple.of(ids))
        .map(rows -> {
          Map<String, List<ObjectNode>> out = new HashMap<>();
          rows.forEach(r -> {
            ObjectNode g = JSON.objectNode();
            g.put("value", r.getUUID("id").toString());
            g.put("display", r.getString("display_name"));
            g.put("type", "direct");
            out.computeIfAbsent(r.getString("member_id"), k -> new ArrayList<>()).add(g);
          });
          return out;
        });
  }

  private Rendered render(UUID id, ObjectNode doc, long version, OffsetDateTime created, OffsetDateTime modified, ScimCaller caller, List<ObjectNode> groups) {
    ObjectNode out = JSON.objectNode();
    out.set("schemas", doc.get("schemas"));
    out.put("id", id.toString());
    doc.fields().forEachRemaining(f -> {
      if (!f.getKey().equals("schemas")) {
        out.set(f.getKey(), f.getValue());
      }
    });
    if (!groups.isEmpty()) {
      ArrayNode arr = out.putArray("groups");
      groups.forEach(g -> arr.add(g.deepCopy().put("$ref", base(caller) + "/Groups/" + g.get("value").asText())));
    }
    ObjectNode meta = out.putObject("meta");
    meta.put("resourceType", "User");
    meta.put("created", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(created));
    meta.put("lastModified", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(modified));
    meta.put("version", Rendered.etag(version));
    meta.put("location", base(caller) + "/Users/" + id);
    return new Rendered(id, version, out);
  }

  private String base(ScimCaller caller) {
    return config.publicBaseUrl() + "/scim/v2/" + caller.directoryId();
  }

  private static List<Row> rows(io.vertx.mutiny.sqlclient.RowSet<Row> set) {
    List<Row> out = new ArrayList<>();
    set.forEach(out::add);
    return out;
  }

  private static Tuple insertTuple(UUID id, UUID directory, Columns c, ObjectNode doc, OffsetDateTime now) {
    return Tuple.from(new Object[] {
      id, directory, c.userName(), c.userName().toLowerCase(Locale.ROOT), c.externalId(), c.displayName(), c.active(), c.emails(), doc.toString(), now});
  }

  private static Throwable uniqueness(Throwable t) {
    if (t instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      return ScimProblem.uniqueness("a user with this userName already exists in this directory");
    }
    return t;
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC);
  }

  /** The attributes lifted out of the document into indexed columns. */
  record Columns(String userName, String externalId, String displayName, boolean active, String[] emails) {
    static Columns of(ObjectNode doc) {
      String userName = text(doc, "userName");
      if (userName == null || userName.isBlank()) {
        throw ScimProblem.invalidValue("userName is required");
      }
      JsonNode active = doc.get("active");
      List<String> emails = new ArrayList<>();
      JsonNode arr = doc.get("emails");
      if (arr != null && arr.isArray()) {
        arr.forEach(e -> {
          JsonNode v = e.get("value");
          if (v != null && v.isTextual()) {
            emails.add(v.asText().toLowerCase(Locale.ROOT));
          }
        });
      }
      return new Columns(userName, text(doc, "externalId"), text(doc, "displayName"), active == null || active.asBoolean(true), emails.toArray(String[]::new));
    }
  }
}
