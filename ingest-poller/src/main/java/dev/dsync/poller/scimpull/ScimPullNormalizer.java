package dev.dsync.poller.scimpull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.source.MemberRef;
import dev.dsync.poller.source.Scim;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Resources of another SCIM 2.0 service provider (RFC 7643) as this platform emits them: the remote
 * {@code id} becomes id and externalId (it is the immutable source id); core and enterprise attributes
 * are copied as they are; other extensions are kept under their own URNs; anything else, the remote
 * externalId included, goes to a scim-pull extension. {@code meta} (its lastModified and version move
 * with every write), {@code password} and the derived {@code groups} are never copied; group members
 * travel separately as a full member list.
 */
final class ScimPullNormalizer {

  static final String USER_EXTENSION = "urn:dsync:params:scim:schemas:extension:scim-pull:2.0:User";
  static final String GROUP_EXTENSION = "urn:dsync:params:scim:schemas:extension:scim-pull:2.0:Group";

  private static final Set<String> USER_CORE = Set.of("userName", "name", "displayName", "nickName", "profileUrl", "title", "userType",
      "preferredLanguage", "locale", "timezone", "active", "emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles",
      "x509Certificates");
  private static final Set<String> GROUP_CORE = Set.of("displayName");
  private static final Set<String> NEVER = Set.of("schemas", "id", "meta", "password", "groups", "members");

  private ScimPullNormalizer() {}

  static ObjectNode user(JsonNode r) {
    return copy(r, Scim.user(r.path("id").asText()), USER_CORE, USER_EXTENSION);
  }

  static ObjectNode group(JsonNode r) {
    return copy(r, Scim.group(r.path("id").asText()), GROUP_CORE, GROUP_EXTENSION);
  }

  /** The group's members as references; the type from {@code type}, else from the {@code $ref} path, else User. */
  static List<MemberRef> members(JsonNode group) {
    List<MemberRef> out = new ArrayList<>();
    for (JsonNode m : group.path("members")) {
      String value = m.path("value").asText("");
      if (value.isEmpty()) {
        continue;
      }
      String type = m.path("type").asText("");
      if (type.isEmpty()) {
        type = m.path("$ref").asText("").contains("/Groups/") ? "Group" : "User";
      }
      out.add(new MemberRef(value, type));
    }
    return out;
  }

  private static ObjectNode copy(JsonNode r, ObjectNode out, Set<String> core, String extensionUrn) {
    r.fields().forEachRemaining(e -> {
      String k = e.getKey();
      JsonNode v = e.getValue();
      if (NEVER.contains(k) || v.isNull()) {
        return;
      }
      if (core.contains(k)) {
        out.set(k, v);
      } else if (k.startsWith("urn:") && v.isObject()) {
        Scim.extension(out, k).setAll((ObjectNode) v);
      } else {
        Scim.extension(out, extensionUrn).set(k, v);
      }
    });
    Scim.prune(out);
    // An extension left empty by pruning is not listed either.
    ArrayNode schemas = out.putArray("schemas");
    schemas.add(core == GROUP_CORE ? Scim.GROUP : Scim.USER);
    out.fieldNames().forEachRemaining(k -> {
      if (k.startsWith("urn:")) {
        schemas.add(k);
      }
    });
    return out;
  }
}
