package dev.dsync.reconciler.identities;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.identity.CanonicalGroup;
import dev.dsync.events.identity.CanonicalUser;
import dev.dsync.events.identity.Email;
import dev.dsync.events.identity.GroupEventData;
import dev.dsync.events.identity.IdentityState;
import dev.dsync.events.identity.MembershipEventData;
import dev.dsync.events.identity.UserEventData;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.reconciler.conflicts.Provenance;
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
  private static final TypeReference<TreeMap<String, Provenance>> PROV = new TypeReference<>() {};

  private IdentityEvents() {}

  public static TreeMap<String, Object> attributes(String json) {
    return json == null ? new TreeMap<>() : read(json, ATTRS);
  }

  public static TreeMap<String, Provenance> provenance(String json) {
    return json == null ? new TreeMap<>() : read(json, PROV);
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

  @SuppressWarnings("unchecked") // emails are stored as a list of maps by the mapper
  public static CanonicalUser user(UserEntity u, String directoryId) {
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
        raw(u.writtenRaw, u.raw));
  }

  public static CanonicalGroup group(GroupEntity g) {
    Map<String, Object> a = g.writtenAttributes != null ? g.writtenAttributes : attributes(g.attributes);
    Map<String, Object> extra = new TreeMap<>();
    a.forEach((k, v) -> {
      if (k.startsWith(Mapper.ATTRIBUTES_PREFIX)) {
        extra.put(k.substring(Mapper.ATTRIBUTES_PREFIX.length()), v);
      }
    });
    return new CanonicalGroup(
        g.id.toString(), g.tenantId, g.directoryId, g.externalId, g.displayName, extra,
        raw(g.writtenRaw, g.raw));
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
    CanonicalUser cu = user(u, tx.directoryId);
    String id = u.id.toString();
    tx.emit(OutboxMessage.of(type, tx.directoryId, tx.tenantId, tx.directoryId, id, new UserEventData(seq, cu, previous)));
    tx.emit(type == EventType.USER_DELETED ? tombstone(tx, id) : state(tx, id, new IdentityState("user", seq, cu, null, groupIds)));
  }

  public static void group(DirectoryTx tx, EventType type, GroupEntity g, Map<String, Object> previous) {
    long seq = tx.nextSequence();
    CanonicalGroup cg = group(g);
    String id = g.id.toString();
    tx.emit(OutboxMessage.of(type, tx.directoryId, tx.tenantId, tx.directoryId, id, new GroupEventData(seq, cg, previous)));
    tx.emit(type == EventType.GROUP_DELETED ? tombstone(tx, id) : state(tx, id, new IdentityState("group", seq, null, cg, null)));
  }

  /** user_added|user_removed, and the user's state with its new direct groups. */
  public static void membership(DirectoryTx tx, EventType type, GroupEntity g, UserEntity u, List<String> groupIds) {
    long seq = tx.nextSequence();
    CanonicalUser cu = user(u, tx.directoryId);
    tx.emit(OutboxMessage.of(type, tx.directoryId, tx.tenantId, tx.directoryId, u.id.toString(), new MembershipEventData(seq, group(g), cu)));
    if (!u.deleted) {
      tx.emit(state(tx, u.id.toString(), new IdentityState("user", seq, cu, null, groupIds)));
    }
  }

  /** A deleted entity leaves the compacted topic: a tombstone (null value) for its key. */
  private static OutboxMessage tombstone(DirectoryTx tx, String entityId) {
    return OutboxMessage.tombstone(EventType.IDENTITY_STATE, tx.tenantId + ":" + entityId, tx.tenantId, tx.directoryId, entityId);
  }

  /** The compacted state record of a live entity. */
  private static OutboxMessage state(DirectoryTx tx, String entityId, IdentityState state) {
    return OutboxMessage.of(EventType.IDENTITY_STATE, tx.tenantId + ":" + entityId, tx.tenantId, tx.directoryId, entityId, state);
  }
}
