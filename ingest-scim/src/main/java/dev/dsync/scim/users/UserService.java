package dev.dsync.scim.users;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.unboundid.scim2.common.messages.PatchOperation;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.TimeOrderedIds;
import dev.dsync.events.source.UserDeleted;
import dev.dsync.events.source.UserUpserted;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.scim.ScimConfig;
import dev.dsync.scim.auth.ScimCaller;
import dev.dsync.scim.outbox.OutboxStatement;
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
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * SCIM Users of one directory: stored as documents with indexed columns, every write committed
 * together with its {@code dsync.source.*} event. A write that changes nothing emits nothing.
 */
@ApplicationScoped
public class UserService {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final String COLUMNS = "r.id, r.directory_id, r.resource::text as resource, r.version, r.created_at, r.last_modified";

  private static final String CREATE =
      "with u as (insert into scim_user (id, directory_id, user_name, user_name_lower, external_id, display_name, active, emails_lower, resource, version, created_at, last_modified)"
          + " values ($1, $2, $3, $4, $5, $6, $7, $8, cast(cast($9 as text) as jsonb), 1, $10, $10) returning id) "
          + OutboxStatement.insertFrom("u", 11, payload -> payload);

  private final Pool pool;
  private final Outbox outbox;
  private final OutboxStatement outboxStatement;
  private final ScimConfig config;

  public UserService(Pool pool, Outbox outbox, OutboxStatement outboxStatement, ScimConfig config) {
    this.pool = pool;
    this.outbox = outbox;
    this.outboxStatement = outboxStatement;
    this.config = config;
  }

  @WithSpan("scim.users.create")
  public Uni<Rendered> create(ScimCaller caller, JsonNode body) {
    ObjectNode doc = ResourceNormalizer.normalize(ScimSchemas.USERS, body, List.of());
    Columns cols = Columns.of(doc);
    UUID id = TimeOrderedIds.next();
    OffsetDateTime now = now();
    Rendered r = render(id, doc, 1, now, now, caller, List.of());
    List<Object> params = new ArrayList<>(10 + OutboxStatement.PARAMS);
    Collections.addAll(params, insertValues(id, caller.directoryId(), cols, doc, now));
    outboxStatement.addParams(params, upsertedEvent(caller, r, ResourceDiff.changed(null, doc)));
    // One statement, so one round trip and its own transaction: the user and its event commit together.
    return pool.preparedQuery(CREATE)
        .execute(Tuple.from(params))
        .replaceWith(r)
        .onFailure(PgException.class)
        .transform(UserService::uniqueness);
  }

  public Uni<Rendered> get(ScimCaller caller, UUID id, Projection projection) {
    boolean groups = projection.includes("groups");
    return pool.preparedQuery(withGroups(groups, "select " + COLUMNS + " from scim_user r where r.id = $1 and r.directory_id = $2"))
        .execute(Tuple.of(id, caller.directoryId()))
        .map(rows -> {
          if (rows.size() == 0) {
            throw ScimProblem.notFound("User " + id + " not found");
          }
          return render(rows.iterator().next(), caller, groups);
        });
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
    Tuple tuple = Tuple.from(params);
    Uni<Long> count = pool.preparedQuery(countSql).execute(tuple).map(rows -> rows.iterator().next().getLong(0));
    if (query.count() == 0) {
      return count.map(total -> Pages.listResponse(total, query.startIndex(), List.of()));
    }
    boolean groups = query.projection().includes("groups");
    String pageSql = withGroups(groups, "select " + COLUMNS + " from scim_user r where " + where + " order by " + order
        + " limit " + query.count() + " offset " + (query.startIndex() - 1));
    return pool.preparedQuery(pageSql).execute(tuple)
        .chain(rows -> {
          List<ObjectNode> page = new ArrayList<>(rows.size());
          rows.forEach(row -> page.add(query.projection().apply(render(row, caller, groups).json())));
          Long known = Pages.totalFromPage(query.startIndex(), query.count(), page.size());
          return (known != null ? Uni.createFrom().item(known) : count).map(total -> Pages.listResponse(total, query.startIndex(), page));
        });
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
                        return groupsOf(tx, caller, id).map(groups -> render(id, current, version, created, row.getOffsetDateTime("last_modified"), caller, groups));
                      }
                      long nextVersion = version + 1;
                      OffsetDateTime now = now();
                      return tx.preparedQuery(
                              "update scim_user set user_name = $3, user_name_lower = $4, external_id = $5, display_name = $6, active = $7,"
                                  + " emails_lower = $8, resource = cast(cast($9 as text) as jsonb), version = $10, last_modified = $11 where id = $1 and directory_id = $2")
                          .execute(Tuple.from(new Object[] {
                            id, caller.directoryId(), cols.userName(), cols.userName().toLowerCase(Locale.ROOT), cols.externalId(), cols.displayName(),
                            cols.active(), cols.emails(), next.toString(), nextVersion, now}))
                          .chain(() -> groupsOf(tx, caller, id))
                          .chain(groups -> {
                            Rendered r = render(id, next, nextVersion, created, now, caller, groups);
                            return upserted(tx, caller, r, changed).replaceWith(r);
                          });
                    }))
        .onFailure(PgException.class)
        .transform(UserService::uniqueness);
  }

  private Uni<UUID> upserted(SqlClient tx, ScimCaller caller, Rendered r, List<String> changed) {
    return outbox.append(tx, upsertedEvent(caller, r, changed));
  }

  private static OutboxMessage upsertedEvent(ScimCaller caller, Rendered r, List<String> changed) {
    ObjectNode resource = r.json().deepCopy();
    resource.remove("groups");
    UserUpserted data = new UserUpserted(
        r.id().toString(), text(resource, "externalId"), r.version(), now().toInstant(), resource, changed, caller.actor(), null);
    return OutboxMessage.of(
        EventType.SOURCE_USER_UPSERTED, caller.directoryId().toString(), caller.tenantId(), caller.directoryId().toString(), r.id().toString(), data);
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

  /**
   * {@code page} (a query over scim_user r selecting {@link #COLUMNS}) with, when {@code groups},
   * each user's direct groups of its own directory as two arrays in display-name order, in the same
   * round trip. The lateral join runs once per row of the page (after its limit) and keeps its order.
   */
  private static String withGroups(boolean groups, String page) {
    if (!groups) {
      return page;
    }
    return "select p.*, gr.group_ids, gr.group_names from (" + page + ") p left join lateral ("
        + "select array_agg(g.id order by g.display_name, g.id) as group_ids, array_agg(g.display_name order by g.display_name, g.id) as group_names"
        + " from scim_group_member m join scim_group g on g.id = m.group_id and g.directory_id = p.directory_id where m.member_id = p.id::text) gr on true";
  }

  private Rendered render(Row r, ScimCaller caller, boolean groupsLoaded) {
    List<ObjectNode> groups = List.of();
    if (groupsLoaded) {
      UUID[] ids = r.getArrayOfUUIDs("group_ids");
      String[] names = r.getArrayOfStrings("group_names");
      if (ids != null) {
        groups = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
          groups.add(group(ids[i], names[i]));
        }
      }
    }
    return render(r.getUUID("id"), (ObjectNode) EventJson.read(r.getString("resource"), JsonNode.class), r.getLong("version"),
        r.getOffsetDateTime("created_at"), r.getOffsetDateTime("last_modified"), caller, groups);
  }

  private static ObjectNode group(UUID id, String displayName) {
    ObjectNode g = JSON.objectNode();
    g.put("value", id.toString());
    g.put("display", displayName);
    g.put("type", "direct");
    return g;
  }

  /** Direct groups of a user, for the read-only {@code groups} attribute. */
  private Uni<List<ObjectNode>> groupsOf(SqlClient client, ScimCaller caller, UUID userId) {
    return client.preparedQuery("select g.id, g.display_name from scim_group_member m join scim_group g on g.id = m.group_id"
            + " where m.member_id = $1 and g.directory_id = $2 order by g.display_name, g.id")
        .execute(Tuple.of(userId.toString(), caller.directoryId()))
        .map(rows -> {
          List<ObjectNode> out = new ArrayList<>();
          rows.forEach(r -> out.add(group(r.getUUID("id"), r.getString("display_name"))));
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

  private static Object[] insertValues(UUID id, UUID directory, Columns c, ObjectNode doc, OffsetDateTime now) {
    return new Object[] {
      id, directory, c.userName(), c.userName().toLowerCase(Locale.ROOT), c.externalId(), c.displayName(), c.active(), c.emails(), doc.toString(), now};
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
