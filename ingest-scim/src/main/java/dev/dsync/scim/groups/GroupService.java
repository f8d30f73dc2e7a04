package dev.dsync.scim.groups;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.unboundid.scim2.common.Path;
import com.unboundid.scim2.common.filters.Filter;
import com.unboundid.scim2.common.messages.PatchOperation;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.TimeOrderedIds;
import dev.dsync.events.source.GroupDeleted;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.GroupUpserted;
import dev.dsync.events.source.MemberRef;
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
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * SCIM Groups of one directory. Members live one row each in scim_group_member, so a change to
 * one member of a huge group touches one row and emits a delta, never the whole list.
 */
@ApplicationScoped
public class GroupService {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final String COLUMNS = "r.id, r.resource::text as resource, r.version, r.created_at, r.last_modified";

  private final Pool pool;
  private final Outbox outbox;
  private final OutboxStatement outboxStatement;
  private final ScimConfig config;

  public GroupService(Pool pool, Outbox outbox, OutboxStatement outboxStatement, ScimConfig config) {
    this.pool = pool;
    this.outbox = outbox;
    this.outboxStatement = outboxStatement;
    this.config = config;
  }

  /** A member as stored: its id at the source, its type and display name. */
  record Member(String value, String type, String display) {
    MemberRef ref() {
      return new MemberRef(value, type);
    }
  }

  @WithSpan("scim.groups.create")
  public Uni<Rendered> create(ScimCaller caller, JsonNode body) {
    ObjectNode doc = ResourceNormalizer.normalize(ScimSchemas.GROUPS, body, List.of("members"));
    String displayName = displayName(doc);
    List<Member> members = members(field(body, "members"));
    UUID id = TimeOrderedIds.next();
    OffsetDateTime now = now();
    return pool.withTransaction(tx ->
        tx.preparedQuery("insert into scim_group (id, directory_id, display_name, external_id, resource, version, created_at, last_modified)"
                + " values ($1, $2, $3, $4, cast(cast($5 as text) as jsonb), 1, $6, $6)")
            .execute(Tuple.from(new Object[] {id, caller.directoryId(), displayName, text(doc, "externalId"), doc.toString(), now}))
            .chain(() -> addMembers(tx, id, members))
            .chain(added -> {
              Rendered r = render(id, doc, 1, now, now, caller, members);
              return upserted(tx, caller, r, ResourceDiff.changed(null, doc))
                  .chain(() -> added.isEmpty() ? Uni.createFrom().voidItem() : membership(tx, caller, id, 1, added, List.of()))
                  .replaceWith(r);
            }));
  }

  public Uni<Rendered> get(ScimCaller caller, UUID id, Projection projection) {
    return find(pool, caller, id, false).chain(row -> withMembers(pool, caller, List.of(row), projection)).map(l -> l.get(0));
  }

  @WithSpan("scim.groups.replace")
  public Uni<Rendered> replace(ScimCaller caller, UUID id, JsonNode body, String ifMatch) {
    ObjectNode doc = ResourceNormalizer.normalize(ScimSchemas.GROUPS, body, List.of("members"));
    displayName(doc);
    List<Member> members = members(field(body, "members"));
    return pool.withTransaction(tx ->
        find(tx, caller, id, true).chain(row -> {
          Preconditions.checkIfMatch(ifMatch, row.getLong("version"));
          return currentMembers(tx, id).chain(current -> {
            Map<String, Member> wanted = new LinkedHashMap<>();
            members.forEach(m -> wanted.put(m.value(), m));
            List<Member> removed = current.stream().filter(m -> !wanted.containsKey(m.value())).toList();
            Set<String> have = current.stream().map(Member::value).collect(Collectors.toSet());
            List<Member> toAdd = wanted.values().stream().filter(m -> !have.contains(m.value())).toList();
            return removeMembers(tx, id, removed).chain(gone -> addMembers(tx, id, toAdd)
                .chain(added -> applyChange(tx, caller, row, doc, new Delta(added, gone), true)));
          });
        }));
  }

  /**
   * Applies a PATCH. {@code representation}: whether the caller answers with the group (attributes
   * were asked for); without it the member list is never read, only the new version (the ETag).
   */
  @WithSpan("scim.groups.patch")
  public Uni<Rendered> patch(ScimCaller caller, UUID id, JsonNode body, String ifMatch, boolean representation) {
    ObjectNode normalized = PatchNormalizer.normalize(body, ScimSchemas.GROUPS);
    List<PatchOperation> attributeOps = new ArrayList<>();
    List<MemberOp> memberOps = new ArrayList<>();
    for (JsonNode op : normalized.withArray("Operations")) {
      split(Patches.parse(op), attributeOps, memberOps);
    }
    if (ifMatch == null && !representation && attributeOps.isEmpty() && MemberStatement.applies(memberOps)) {
      return memberChange(caller, id, memberOps);
    }
    return pool.withTransaction(tx ->
        find(tx, caller, id, true).chain(row -> {
          Preconditions.checkIfMatch(ifMatch, row.getLong("version"));
          ObjectNode current = (ObjectNode) EventJson.read(row.getString("resource"), JsonNode.class);
          ObjectNode working = current.deepCopy();
          Patches.apply(working, attributeOps);
          ObjectNode next = ResourceNormalizer.normalize(ScimSchemas.GROUPS, working, List.of("members"));
          displayName(next);
          return applyMemberOps(tx, id, memberOps).chain(delta -> applyChange(tx, caller, row, next, delta, representation));
        }));
  }

  /**
   * A PATCH that only adds, or only removes, members, as one statement: it locks the group's row,
   * changes the member rows, bumps the version and writes the membership event, and commits. The
   * row lock is held for that statement's execution and commit only, with no round trip to this
   * service in between, so clients changing the same group queue for as short a time as possible.
   * The lock is taken before any member row is touched, as every other group write does (no
   * deadlock), and the version and outbox row are made under it, so sourceVersion grows with the
   * outbox order per group.
   */
  private Uni<Rendered> memberChange(ScimCaller caller, UUID id, List<MemberOp> ops) {
    List<Object> params = new ArrayList<>();
    params.add(id);
    params.add(caller.directoryId());
    MemberStatement change = MemberStatement.of(ops, params);
    params.add(now());
    int eventParams = params.size() + 1;
    GroupMembershipChanged placeholder = new GroupMembershipChanged(id.toString(), 0, now().toInstant(), List.of(), List.of(), false, caller.actor(), null);
    outboxStatement.addParams(params, OutboxMessage.of(EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, caller.directoryId().toString(), caller.tenantId(),
        caller.directoryId().toString(), id.toString(), placeholder));
    String sql = "with locked as (select id, version from scim_group where id = $1 and directory_id = $2 for no key update),"
        + " changed as (" + change.sql() + "),"
        + " bumped as (update scim_group g set version = g.version + 1, last_modified = $" + (eventParams - 1)
        + " from locked l where g.id = l.id and exists (select 1 from changed) returning g.version),"
        + " event as (" + OutboxStatement.insertFrom("bumped b", eventParams, payload -> change.eventPayload(payload, "b.version")) + ")"
        + " select (select version from locked) as version, (select version from bumped) as bumped";
    return pool.preparedQuery(sql).execute(Tuple.from(params)).map(rows -> {
      Row row = rows.iterator().next();
      Long bumped = row.getLong("bumped");
      Long version = bumped != null ? bumped : row.getLong("version");
      if (version == null) {
        throw ScimProblem.notFound("Group " + id + " not found");
      }
      return new Rendered(id, version, JSON.objectNode());
    });
  }

  @WithSpan("scim.groups.delete")
  public Uni<Void> delete(ScimCaller caller, UUID id) {
    return pool.withTransaction(tx ->
        find(tx, caller, id, true).chain(row -> {
          ObjectNode doc = (ObjectNode) EventJson.read(row.getString("resource"), JsonNode.class);
          return tx.preparedQuery("delete from scim_group where id = $1").execute(Tuple.of(id))
              .chain(() -> outbox.append(tx, OutboxMessage.of(EventType.SOURCE_GROUP_DELETED, caller.directoryId().toString(), caller.tenantId(),
                  caller.directoryId().toString(), id.toString(),
                  new GroupDeleted(id.toString(), text(doc, "externalId"), row.getLong("version") + 1, now().toInstant(), caller.actor(), null))));
        }).replaceWithVoid());
  }

  public Uni<ObjectNode> list(ScimCaller caller, ListQuery query) {
    List<Object> params = new ArrayList<>();
    params.add(caller.directoryId());
    String where = "r.directory_id = $1";
    if (query.filter() != null) {
      SqlWhere w = FilterTranslator.translate(ScimFilters.parse(query.filter(), config.maxFilterLength()), ScimSchemas.GROUPS, 2);
      where += " and " + w.sql();
      params.addAll(w.params());
    }
    String order = Sorting.orderBy(ScimSchemas.GROUPS, query.sortBy(), query.descending());
    Tuple tuple = Tuple.from(params);
    String pageSql = "select " + COLUMNS + " from scim_group r where " + where + " order by " + order
        + " limit " + query.count() + " offset " + (query.startIndex() - 1);
    return pool.preparedQuery("select count(*) from scim_group r where " + where).execute(tuple)
        .map(rows -> rows.iterator().next().getLong(0))
        .chain(total -> (query.count() == 0 ? Uni.createFrom().item(List.<Row>of()) : pool.preparedQuery(pageSql).execute(tuple).map(GroupService::rows))
            .chain(rows -> withMembers(pool, caller, rows, query.projection()))
            .map(list -> Pages.listResponse(total, query.startIndex(), list.stream().map(r -> query.projection().apply(r.json())).toList())));
  }

  /**
   * Writes the group's new document after its member changes were applied ({@code delta}: what
   * actually changed), bumps its version and emits what changed; nothing when nothing did.
   */
  private Uni<Rendered> applyChange(SqlClient tx, ScimCaller caller, Row row, ObjectNode next, Delta delta, boolean withMembers) {
    UUID id = row.getUUID("id");
    ObjectNode current = (ObjectNode) EventJson.read(row.getString("resource"), JsonNode.class);
    List<String> changed = ResourceDiff.changed(current, next);
    boolean docChanged = !changed.isEmpty() || !current.get("schemas").equals(next.get("schemas"));
    List<Member> added = delta.added();
    List<Member> removed = delta.removed();
    return Uni.createFrom().voidItem().chain(() -> {
      if (!docChanged && added.isEmpty() && removed.isEmpty()) {
        return members(tx, id, withMembers).map(members -> render(id, current, row.getLong("version"), row.getOffsetDateTime("created_at"), row.getOffsetDateTime("last_modified"), caller, members));
      }
      long version = row.getLong("version") + 1;
      OffsetDateTime now = now();
      return tx.preparedQuery("update scim_group set display_name = $2, external_id = $3, resource = cast(cast($4 as text) as jsonb), version = $5, last_modified = $6 where id = $1")
          .execute(Tuple.from(new Object[] {id, displayName(next), text(next, "externalId"), next.toString(), version, now}))
          .chain(() -> docChanged ? upserted(tx, caller, render(id, next, version, row.getOffsetDateTime("created_at"), now, caller, null), changed) : Uni.createFrom().voidItem())
          .chain(() -> added.isEmpty() && removed.isEmpty() ? Uni.createFrom().voidItem() : membership(tx, caller, id, version, added, removed))
          .chain(() -> members(tx, id, withMembers))
          .map(members -> render(id, next, version, row.getOffsetDateTime("created_at"), now, caller, members));
    });
  }

  /** The group's members for its representation, or null (none rendered) when no representation is wanted. */
  private Uni<List<Member>> members(SqlClient tx, UUID id, boolean wanted) {
    return wanted ? currentMembers(tx, id) : Uni.createFrom().nullItem();
  }

  /** A membership change a PATCH asks for. */
  record MemberOp(String kind, List<Member> values, Filter filter) {}

  private record Delta(List<Member> added, List<Member> removed) {}

  private void split(PatchOperation op, List<PatchOperation> attributeOps, List<MemberOp> memberOps) {
    String root = Patches.root(op);
    String kind = op.getOpType().name().toLowerCase(Locale.ROOT);
    if ("members".equals(root)) {
      Path path = op.getPath();
      if (path.size() > 1 || (path.getElement(0).getValueFilter() != null && !kind.equals("remove"))) {
        throw ScimProblem.invalidPath("only whole members can be added, replaced or removed");
      }
      Filter filter = path.getElement(0).getValueFilter();
      List<Member> values = op.getJsonNode() == null ? List.of() : members(op.getJsonNode());
      memberOps.add(new MemberOp(kind, values, filter));
      return;
    }
    if (root == null && op.getJsonNode() != null && op.getJsonNode().isObject()) {
      ObjectNode value = (ObjectNode) op.getJsonNode();
      JsonNode members = field(value, "members");
      if (members != null) {
        memberOps.add(new MemberOp(kind, members(members), null));
        value.remove(value.properties().stream().map(Map.Entry::getKey).filter(k -> k.equalsIgnoreCase("members")).toList());
      }
    }
    attributeOps.add(op);
  }

  private Uni<Delta> applyMemberOps(SqlClient tx, UUID groupId, List<MemberOp> ops) {
    Uni<Delta> chain = Uni.createFrom().item(new Delta(new ArrayList<>(), new ArrayList<>()));
    for (MemberOp op : ops) {
      chain = chain.chain(delta -> switch (op.kind()) {
        case "add" -> addMembers(tx, groupId, op.values()).map(added -> merge(delta, added, List.of()));
        case "replace" -> currentMembers(tx, groupId).chain(current -> {
          Set<String> wanted = op.values().stream().map(Member::value).collect(Collectors.toSet());
          List<Member> gone = current.stream().filter(m -> !wanted.contains(m.value())).toList();
          return removeMembers(tx, groupId, gone).chain(removed -> addMembers(tx, groupId, op.values()).map(added -> merge(delta, added, removed)));
        });
        default -> {
          if (op.filter() != null) {
            yield removeWhere(tx, groupId, op.filter()).map(removed -> merge(delta, List.of(), removed));
          }
          if (op.values().isEmpty()) {
            yield currentMembers(tx, groupId).chain(all -> removeMembers(tx, groupId, all)).map(removed -> merge(delta, List.of(), removed));
          }
          yield removeMembers(tx, groupId, op.values()).map(removed -> merge(delta, List.of(), removed));
        }
      });
    }
    return chain;
  }

  /** Removes the members a value filter selects ({@code members[value eq "..."]}). */
  private Uni<List<Member>> removeWhere(SqlClient tx, UUID groupId, Filter valueFilter) {
    SqlWhere w = FilterTranslator.translateMembers(valueFilter, 2);
    List<Object> params = new ArrayList<>();
    params.add(groupId);
    params.addAll(w.params());
    return tx.preparedQuery("delete from scim_group_member m where m.group_id = $1 and " + w.sql() + " returning m.member_id, m.member_type, m.display")
        .execute(Tuple.from(params))
        .map(GroupService::toMembers);
  }

  /** Folds one operation's effect into the request's delta: a member added then removed (or the reverse) cancels out. */
  private static Delta merge(Delta d, List<Member> added, List<Member> removed) {
    Map<String, Member> a = new LinkedHashMap<>();
    d.added().forEach(m -> a.put(m.value(), m));
    Map<String, Member> r = new LinkedHashMap<>();
    d.removed().forEach(m -> r.put(m.value(), m));
    for (Member m : removed) {
      if (a.remove(m.value()) == null) {
        r.put(m.value(), m);
      }
    }
    for (Member m : added) {
      if (r.remove(m.value()) == null) {
        a.put(m.value(), m);
      }
    }
    return new Delta(new ArrayList<>(a.values()), new ArrayList<>(r.values()));
  }

  private Uni<List<Member>> addMembers(SqlClient tx, UUID groupId, List<Member> members) {
    if (members.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    String[] values = members.stream().map(Member::value).toArray(String[]::new);
    String[] types = members.stream().map(Member::type).toArray(String[]::new);
    String[] displays = members.stream().map(Member::display).toArray(String[]::new);
    return tx.preparedQuery("insert into scim_group_member (group_id, member_id, member_type, display)"
            + " select $1, v, t, d from unnest($2::text[], $3::text[], $4::text[]) as x(v, t, d)"
            + " on conflict (group_id, member_id) do nothing returning member_id, member_type, display")
        .execute(Tuple.of(groupId, values, types, displays))
        .map(GroupService::toMembers);
  }

  private Uni<List<Member>> removeMembers(SqlClient tx, UUID groupId, List<Member> members) {
    if (members.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    String[] values = members.stream().map(Member::value).toArray(String[]::new);
    return tx.preparedQuery("delete from scim_group_member where group_id = $1 and member_id = any($2) returning member_id, member_type, display")
        .execute(Tuple.of(groupId, values))
        .map(GroupService::toMembers);
  }

  private Uni<List<Member>> currentMembers(SqlClient client, UUID groupId) {
    return client.preparedQuery("select member_id, member_type, display from scim_group_member where group_id = $1 order by member_id")
        .execute(Tuple.of(groupId))
        .map(GroupService::toMembers);
  }

  private static List<Member> toMembers(RowSet<Row> rows) {
    List<Member> out = new ArrayList<>();
    rows.forEach(r -> out.add(new Member(r.getString("member_id"), r.getString("member_type"), r.getString("display"))));
    return out;
  }

  private Uni<Void> upserted(SqlClient tx, ScimCaller caller, Rendered r, List<String> changed) {
    ObjectNode resource = r.json().deepCopy();
    resource.remove("members");
    GroupUpserted data = new GroupUpserted(r.id().toString(), text(resource, "externalId"), r.version(), now().toInstant(), resource, changed, caller.actor(), null);
    return outbox.append(tx, OutboxMessage.of(EventType.SOURCE_GROUP_UPSERTED, caller.directoryId().toString(), caller.tenantId(),
        caller.directoryId().toString(), r.id().toString(), data)).replaceWithVoid();
  }

  /**
   * The members that really changed, as an exact delta: never {@code replaced}, even for a PUT or
   * a replace operation, because {@code added} holds only members new to the group (a replacement
   * would have to name every member, and dropped the ones that stayed). Split into events of at
   * most {@link GroupMembershipChanged#MAX_MEMBERS_PER_EVENT} members, as a Kafka record is at most 1 MB.
   */
  private Uni<Void> membership(SqlClient tx, ScimCaller caller, UUID groupId, long version, List<Member> added, List<Member> removed) {
    GroupMembershipChanged data = new GroupMembershipChanged(groupId.toString(), version, now().toInstant(),
        added.stream().map(Member::ref).toList(), removed.stream().map(Member::ref).toList(), false, caller.actor(), null);
    List<OutboxMessage> events = data.split(GroupMembershipChanged.MAX_MEMBERS_PER_EVENT).stream()
        .map(part -> OutboxMessage.of(EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, caller.directoryId().toString(), caller.tenantId(),
            caller.directoryId().toString(), groupId.toString(), part))
        .toList();
    return outbox.appendAll(tx, events).replaceWithVoid();
  }

  private Uni<List<Rendered>> withMembers(SqlClient client, ScimCaller caller, List<Row> rows, Projection projection) {
    if (rows.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    boolean load = projection.includes("members");
    Uni<Map<UUID, List<Member>>> members = load ? membersOf(client, rows.stream().map(r -> r.getUUID("id")).toArray(UUID[]::new)) : Uni.createFrom().item(Map.of());
    return members.map(m -> rows.stream()
        .map(r -> render(r.getUUID("id"), (ObjectNode) EventJson.read(r.getString("resource"), JsonNode.class), r.getLong("version"),
            r.getOffsetDateTime("created_at"), r.getOffsetDateTime("last_modified"), caller, load ? m.getOrDefault(r.getUUID("id"), List.of()) : null))
        .toList());
  }

  private Uni<Map<UUID, List<Member>>> membersOf(SqlClient client, UUID[] groupIds) {
    return client.preparedQuery("select group_id, member_id, member_type, display from scim_group_member where group_id = any($1) order by member_id")
        .execute(Tuple.of(groupIds))
        .map(rows -> {
          Map<UUID, List<Member>> out = new HashMap<>();
          rows.forEach(r -> out.computeIfAbsent(r.getUUID("group_id"), k -> new ArrayList<>())
              .add(new Member(r.getString("member_id"), r.getString("member_type"), r.getString("display"))));
          return out;
        });
  }

  private Uni<Row> find(SqlClient client, ScimCaller caller, UUID id, boolean lock) {
    return client.preparedQuery("select " + COLUMNS + " from scim_group r where r.id = $1 and r.directory_id = $2" + (lock ? " for update" : ""))
        .execute(Tuple.of(id, caller.directoryId()))
        .map(rows -> {
          if (rows.size() == 0) {
            throw ScimProblem.notFound("Group " + id + " not found");
          }
          return rows.iterator().next();
        });
  }

  private Rendered render(UUID id, ObjectNode doc, long version, OffsetDateTime created, OffsetDateTime modified, ScimCaller caller, List<Member> members) {
    String base = config.publicBaseUrl() + "/scim/v2/" + caller.directoryId();
    ObjectNode out = JSON.objectNode();
    out.set("schemas", doc.get("schemas"));
    out.put("id", id.toString());
    doc.fields().forEachRemaining(f -> {
      if (!f.getKey().equals("schemas")) {
        out.set(f.getKey(), f.getValue());
      }
    });
    if (members != null) {
      ArrayNode arr = out.putArray("members");
      for (Member m : members) {
        ObjectNode n = arr.addObject().put("value", m.value());
        if (m.display() != null) {
          n.put("display", m.display());
        }
        n.put("type", m.type());
        n.put("$ref", base + ("Group".equals(m.type()) ? "/Groups/" : "/Users/") + m.value());
      }
    }
    ObjectNode meta = out.putObject("meta");
    meta.put("resourceType", "Group");
    meta.put("created", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(created));
    meta.put("lastModified", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(modified));
    meta.put("version", Rendered.etag(version));
    meta.put("location", base + "/Groups/" + id);
    return new Rendered(id, version, out);
  }

  /** Members from a request value: an array of {value, type?, display?} (a single object is accepted too). */
  static List<Member> members(JsonNode node) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    List<Member> out = new ArrayList<>();
    Map<String, Boolean> seen = new HashMap<>();
    for (JsonNode m : node.isArray() ? node : JSON.arrayNode().add(node)) {
      JsonNode value = m.isObject() ? field(m, "value") : m;
      if (value == null || !(value.isTextual() || value.isNumber()) || value.asText().isBlank()) {
        throw ScimProblem.invalidValue("each member needs a 'value' (the member's id)");
      }
      JsonNode type = m.isObject() ? field(m, "type") : null;
      JsonNode display = m.isObject() ? field(m, "display") : null;
      if (value.asText().indexOf('\0') >= 0 || display != null && display.isTextual() && display.asText().indexOf('\0') >= 0) {
        throw ScimProblem.invalidValue("a member holds a NUL character (\\u0000), which cannot be stored");
      }
      if (seen.put(value.asText(), true) != null) {
        continue;
      }
      String t = type == null || !type.isTextual() ? "User" : type.asText().equalsIgnoreCase("group") ? "Group" : "User";
      out.add(new Member(value.asText(), t, display == null || !display.isTextual() ? null : display.asText()));
    }
    return out;
  }

  private static String displayName(ObjectNode doc) {
    String v = text(doc, "displayName");
    if (v == null || v.isBlank()) {
      throw ScimProblem.invalidValue("displayName is required");
    }
    return v;
  }

  private static JsonNode field(JsonNode node, String name) {
    if (node == null || !node.isObject()) {
      return null;
    }
    var it = node.fieldNames();
    while (it.hasNext()) {
      String n = it.next();
      if (n.equalsIgnoreCase(name)) {
        return node.get(n);
      }
    }
    return null;
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static List<Row> rows(RowSet<Row> set) {
    List<Row> out = new ArrayList<>();
    set.forEach(out::add);
    return out;
  }

  private static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC);
  }
}
