package dev.dsync.poller.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Builds SCIM core + enterprise resources the way ingest-scim emits them, and compares them. */
public final class Scim {

  public static final String USER = "urn:ietf:params:scim:schemas:core:2.0:User";
  public static final String GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
  public static final String ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private Scim() {}

  /** What {@link #fit} never drops: a resource's identity and what correlation and the defaults map. */
  private static final java.util.Set<String> KEPT =
      java.util.Set.of("schemas", "id", "externalId", "userName", "name", "displayName", "emails", "active", "members");

  /**
   * Shrinks {@code resource} (in place) to at most {@code maxBytes} of JSON by dropping its largest
   * attributes first (a top-level one, or one inside an extension object), never those in
   * {@link #KEPT}. A directory attribute can be far larger than an event may be (a base64 photo in
   * LDAP's thumbnailPhoto or Okta's profile): without this, the one user holding it failed every
   * sync job of its connection. Answers the paths dropped, in order (none if it fit); the resource
   * may still be too large if only kept attributes are left.
   */
  public static List<String> fit(ObjectNode resource, int maxBytes) {
    List<String> dropped = new ArrayList<>();
    int size = bytes(resource);
    while (size > maxBytes) {
      Candidate largest = null;
      int largestBytes = -1;
      for (Iterator<Map.Entry<String, JsonNode>> it = resource.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (KEPT.contains(f.getKey())) {
          continue;
        }
        // An object (an extension) is dropped an attribute at a time, never whole.
        List<Candidate> candidates = new ArrayList<>();
        if (f.getValue() instanceof ObjectNode extension) {
          extension.fields().forEachRemaining(e -> candidates.add(new Candidate(f.getKey(), e.getKey(), e.getValue())));
        } else {
          candidates.add(new Candidate(null, f.getKey(), f.getValue()));
        }
        for (Candidate c : candidates) {
          int b = bytes(c.value());
          if (b > largestBytes) {
            largestBytes = b;
            largest = c;
          }
        }
      }
      if (largest == null) {
        break;
      }
      if (largest.extension() == null) {
        resource.remove(largest.name());
      } else {
        ObjectNode extension = (ObjectNode) resource.get(largest.extension());
        extension.remove(largest.name());
        if (extension.isEmpty()) {
          resource.remove(largest.extension()); // no "urn:...": {} left behind
        }
      }
      dropped.add(largest.path());
      size = bytes(resource);
    }
    return dropped;
  }

  /** An attribute {@link #fit} may drop: top-level ({@code extension} null) or inside an extension object. */
  private record Candidate(String extension, String name, JsonNode value) {
    String path() {
      return extension == null ? name : extension + "." + name;
    }
  }

  private static int bytes(JsonNode node) {
    try {
      return dev.dsync.events.EventJson.mapper().writeValueAsBytes(node).length;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A user resource skeleton with its schemas, id and externalId (the source's immutable id). */
  public static ObjectNode user(String id) {
    ObjectNode n = F.objectNode();
    n.putArray("schemas").add(USER);
    n.put("id", id);
    n.put("externalId", id);
    return n;
  }

  public static ObjectNode group(String id) {
    ObjectNode n = F.objectNode();
    n.putArray("schemas").add(GROUP);
    n.put("id", id);
    n.put("externalId", id);
    return n;
  }

  /** Adds an extension object (enterprise or a source's own) and lists its schema. */
  public static ObjectNode extension(ObjectNode resource, String urn) {
    ObjectNode ext = resource.with(urn);
    ArrayNode schemas = (ArrayNode) resource.get("schemas");
    boolean listed = false;
    for (JsonNode s : schemas) {
      listed |= s.asText().equals(urn);
    }
    if (!listed) {
      schemas.add(urn);
    }
    return ext;
  }

  /** Puts a string value, or removes the key for null (an attribute cleared at the source). */
  public static void put(ObjectNode node, String name, String value) {
    if (value == null) {
      node.putNull(name);
    } else {
      node.put(name, value);
    }
  }

  /** Drops null members and empty objects, so "absent" and "cleared" compare equal. */
  public static ObjectNode prune(ObjectNode node) {
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (v instanceof ObjectNode o) {
        prune(o);
        if (o.isEmpty()) {
          it.remove();
        }
      } else if (v.isNull()) {
        it.remove();
      }
    }
    return node;
  }

  /**
   * Merges a partial resource into the previous one: objects member by member, everything else
   * replaced; a null removes the attribute.
   */
  public static ObjectNode merge(ObjectNode previous, ObjectNode partial) {
    ObjectNode out = previous.deepCopy();
    partial.fields().forEachRemaining(e -> {
      JsonNode old = out.get(e.getKey());
      if (e.getKey().equals("schemas") && old instanceof ArrayNode a) {
        // Keep the known order and append new schemas, so a merge alone never looks like a change.
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
        a.forEach(s -> all.add(s.asText()));
        e.getValue().forEach(s -> all.add(s.asText()));
        ArrayNode merged = out.putArray("schemas");
        all.forEach(merged::add);
      } else if (old instanceof ObjectNode o && e.getValue() instanceof ObjectNode p) {
        out.set(e.getKey(), merge(o, p));
      } else {
        out.set(e.getKey(), e.getValue());
      }
    });
    return prune(out);
  }

  /** Top-level attributes (extension members as urn:attr) whose values differ. */
  public static List<String> changedAttributes(ObjectNode before, ObjectNode after) {
    TreeSet<String> names = new TreeSet<>();
    if (before == null) {
      after.fieldNames().forEachRemaining(names::add);
      names.remove("schemas");
      names.remove("id");
      return new ArrayList<>(names);
    }
    TreeSet<String> keys = new TreeSet<>();
    before.fieldNames().forEachRemaining(keys::add);
    after.fieldNames().forEachRemaining(keys::add);
    for (String k : keys) {
      JsonNode a = before.get(k);
      JsonNode b = after.get(k);
      if (k.startsWith("urn:") && a instanceof ObjectNode ao && b instanceof ObjectNode bo) {
        TreeSet<String> sub = new TreeSet<>();
        ao.fieldNames().forEachRemaining(sub::add);
        bo.fieldNames().forEachRemaining(sub::add);
        for (String s : sub) {
          if (!java.util.Objects.equals(ao.get(s), bo.get(s))) {
            names.add(k + ":" + s);
          }
        }
      } else if (!java.util.Objects.equals(a, b)) {
        names.add(k);
      }
    }
    names.remove("schemas");
    return new ArrayList<>(names);
  }
}
