package dev.dsync.reconciler.identities;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.identity.CanonicalGroup;
import dev.dsync.events.identity.CanonicalUser;
import dev.dsync.events.identity.Email;
import dev.dsync.platform.outbox.JsonText;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.reconciler.mapping.Mapper;
import dev.dsync.reconciler.pipeline.DirectoryTx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds the public identity events and state records from canonical entities. */
public final class IdentityEvents {

  private static final TypeReference<TreeMap<String, Object>> ATTRS = new TypeReference<>() {};

  private IdentityEvents() {}

  public static TreeMap<String, Object> attributes(String json) {
    return json == null ? new TreeMap<>() : read(json, ATTRS);
  }

  /** The source resource as written now, or read from its stored text. */
  private static ObjectNode raw(com.fasterxml.jackson.databind.JsonNode written, String stored) {
    if (written instanceof ObjectNode o) {
      return o;
    }
    return stored == null ? null : EventJson.read(stored, ObjectNode.class);
  }

  private static <T> T read(String json, TypeReference<T> type) {
    try {
      return EventJson.mapper().readValue(json, type);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static CanonicalUser user(UserEntity u, String directoryId) {
    return user(u, directoryId, raw(u.writtenRaw, u.raw));
  }

  @SuppressWarnings("unchecked") // emails are stored as a list of maps by the mapper
  private static CanonicalUser user(UserEntity u, String directoryId, ObjectNode raw) {
    Map<String, Object> a = u.writtenAttributes != null ? u.writtenAttributes : attributes(u.attributes);
    List<Email> emails = new ArrayList<>();
    if (a.get(Mapper.EMAILS) instanceof List<?> list) {
      for (Object o : list) {
        Map<String, Object> e = (Map<String, Object>) o;
        emails.add(new Email((String) e.get("value"), (String) e.get("type"), Boolean.TRUE.equals(e.get("primary"))));
      }
    }
    Map<String, Object> extra = new TreeMap<>();
    a.forEach((k, v) -> {
      if (k.startsWith(Mapper.ATTRIBUTES_PREFIX)) {
        extra.put(k.substring(Mapper.ATTRIBUTES_PREFIX.length()), v);
      }
    });
    return new CanonicalUser(
        u.id.toString(),
        u.tenantId,
        directoryId,
        (String) a.get("externalId"),
        (String) a.get("userName"),
        (String) a.get("givenName"),
        (String) a.get("familyName"),
        (String) a.get("displayName"),
        emails,
        CanonicalUser.State.valueOf(u.state),
        extra,
        raw);
  }

  public static CanonicalGroup group(GroupEntity g) {
    return group(g, raw(g.writtenRaw, g.raw));
  }

  private static CanonicalGroup group(GroupEntity g, ObjectNode raw) {
    Map<String, Object> a = g.writtenAttributes != null ? g.writtenAttributes : attributes(g.attributes);
    Map<String, Object> extra = new TreeMap<>();
    a.forEach((k, v) -> {
      if (k.startsWith(Mapper.ATTRIBUTES_PREFIX)) {
        extra.put(k.substring(Mapper.ATTRIBUTES_PREFIX.length()), v);
      }
    });
    return new CanonicalGroup(
        g.id.toString(), g.tenantId, g.directoryId, g.externalId, g.displayName, extra, raw);
  }

  /** Public names of changed attributes: {@code active} is published as the user's {@code state}. */
  public static Map<String, Object> previousAttributes(Map<String, Object> previous) {
    Map<String, Object> out = new HashMap<>();
    previous.forEach((k, v) -> {
      if (Mapper.ACTIVE.equals(k)) {
        out.put("state", Boolean.FALSE.equals(v) ? "INACTIVE" : "ACTIVE");
      } else {
        out.put(k, v);
      }
    });
    return out;
  }

  /** user.created|updated|deleted plus the user's state record (a deletion marker on delete). */
  public static void user(DirectoryTx tx, EventType type, UserEntity u, Map<String, Object> previous, List<String> groupIds) {
    long seq = tx.nextSequence();
    byte[] cu = userBytes(u, tx.directoryId);
    String id = u.id.toString();
    tx.emit(OutboxMessage.of(type, tx.directoryId, tx.tenantId, tx.directoryId, id, userEvent(seq, cu, previous)));
    tx.emit(type == EventType.USER_DELETED ? tombstone(tx, id) : state(tx, id, userState(seq, cu, groupIds)));
  }

  public static void group(DirectoryTx tx, EventType type, GroupEntity g, Map<String, Object> previous) {
    long seq = tx.nextSequence();
    byte[] cg = groupBytes(g);
    String id = g.id.toString();
    tx.emit(OutboxMessage.of(type, tx.directoryId, tx.tenantId, tx.directoryId, id, groupEvent(seq, cg, previous)));
    tx.emit(type == EventType.GROUP_DELETED ? tombstone(tx, id) : state(tx, id, groupState(seq, cg)));
  }

  /** user_added|user_removed, and the user's state with its new direct groups. */
  public static void membership(DirectoryTx tx, EventType type, GroupEntity g, UserEntity u, List<String> groupIds) {
    long seq = tx.nextSequence();
    byte[] cu = userBytes(u, tx.directoryId);
    tx.emit(OutboxMessage.of(type, tx.directoryId, tx.tenantId, tx.directoryId, u.id.toString(),
        membershipEvent(seq, groupBytes(g), cu)));
    if (!u.deleted) {
      tx.emit(state(tx, u.id.toString(), userState(seq, cu, groupIds)));
    }
  }

  /**
   * A user's JSON as {@link #user(UserEntity, String)} writes it, with its source resource spliced
   * in as the text stored for it ({@code rawAttributes} is the last component): the resource is not
   * parsed from the row again nor written once more (a membership page parsed every member's).
   */
  static byte[] userBytes(UserEntity u, String directoryId) {
    Object[] from = {directoryId, u.id, u.tenantId, u.state, u.attributes, u.writtenAttributes, u.raw, u.writtenRaw};
    u.json = written(u.json, from, () ->
        splicable(u.raw) ? withRaw(EventJson.writeBytes(user(u, directoryId, null)), u.raw) : EventJson.writeBytes(user(u, directoryId)));
    return u.json.bytes;
  }

  static byte[] groupBytes(GroupEntity g) {
    Object[] from = {g.id, g.tenantId, g.directoryId, g.externalId, g.displayName, g.attributes, g.writtenAttributes, g.raw, g.writtenRaw};
    g.json = written(g.json, from, () -> splicable(g.raw) ? withRaw(EventJson.writeBytes(group(g, null)), g.raw) : EventJson.writeBytes(group(g)));
    return g.json.bytes;
  }

  /** The entity's last JSON if it was written from these values, else the JSON written now. */
  private static EntityJson written(EntityJson last, Object[] from, java.util.function.Supplier<byte[]> write) {
    return last != null && last.writtenFrom(from) ? last : new EntityJson(from, write.get());
  }

  /** Stored resource text that is a JSON object (anything else takes the parsing path, as before). */
  private static boolean splicable(String raw) {
    return raw != null && raw.startsWith("{");
  }

  private static byte[] withRaw(byte[] json, String raw) {
    byte[] name = ",\"rawAttributes\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] value = raw.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] out = java.util.Arrays.copyOf(json, json.length - 1 + name.length + value.length + 1);
    System.arraycopy(name, 0, out, json.length - 1, name.length);
    System.arraycopy(value, 0, out, json.length - 1 + name.length, value.length);
    out[out.length - 1] = '}';
    return out;
  }

  // The data records written with the entity's JSON spliced in (see EventBytes): UserEventData,
  // GroupEventData, MembershipEventData and IdentityState, in their components' order.

  static JsonText userEvent(long seq, byte[] user, Map<String, Object> previous) {
    return new JsonText(new EventBytes().number("sequence", seq).raw("user", user).value("previousAttributes", previous).bytes());
  }

  static JsonText groupEvent(long seq, byte[] group, Map<String, Object> previous) {
    return new JsonText(new EventBytes().number("sequence", seq).raw("group", group).value("previousAttributes", previous).bytes());
  }

  static JsonText membershipEvent(long seq, byte[] group, byte[] user) {
    return new JsonText(new EventBytes().number("sequence", seq).raw("group", group).raw("user", user).bytes());
  }

  static JsonText userState(long seq, byte[] user, List<String> groupIds) {
    return new JsonText(new EventBytes().value("entityType", "user").number("sequence", seq).raw("user", user)
        .value("groupIds", groupIds).bytes());
  }

  static JsonText groupState(long seq, byte[] group) {
    return new JsonText(new EventBytes().value("entityType", "group").number("sequence", seq).raw("group", group).bytes());
  }

  /** A deleted entity leaves the compacted topic: a tombstone (null value) for its key. */
  private static OutboxMessage tombstone(DirectoryTx tx, String entityId) {
    return OutboxMessage.tombstone(EventType.IDENTITY_STATE, tx.tenantId + ":" + entityId, tx.tenantId, tx.directoryId, entityId);
  }

  /** The compacted state record of a live entity. */
  private static OutboxMessage state(DirectoryTx tx, String entityId, JsonText state) {
    return OutboxMessage.of(EventType.IDENTITY_STATE, tx.tenantId + ":" + entityId, tx.tenantId, tx.directoryId, entityId, state);
  }
}
