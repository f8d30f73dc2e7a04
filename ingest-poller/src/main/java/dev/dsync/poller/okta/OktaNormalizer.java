package dev.dsync.poller.okta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.poller.source.Scim;
import java.util.Set;

/**
 * Okta users (base and custom profile attributes of the default user type) and groups to SCIM core +
 * enterprise; every other profile attribute, the status and the user or group type are kept in an
 * Okta extension. Timestamps that move without a real change (lastLogin, lastUpdated, passwordChanged),
 * credentials and {@code _links} are never copied, so they never look like a change.
 */
final class OktaNormalizer {

  static final String USER_EXTENSION = "urn:dsync:params:scim:schemas:extension:okta:2.0:User";
  static final String GROUP_EXTENSION = "urn:dsync:params:scim:schemas:extension:okta:2.0:Group";

  /** Statuses of a user who can sign in (or is about to, after activation); STAGED and SUSPENDED cannot. */
  private static final Set<String> ACTIVE = Set.of("ACTIVE", "PROVISIONED", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT");

  private static final Set<String> USER_PROFILE_MAPPED = Set.of("login", "email", "secondEmail", "firstName", "lastName", "middleName",
      "honorificPrefix", "honorificSuffix", "displayName", "nickName", "title", "userType", "preferredLanguage", "locale", "timezone",
      "profileUrl", "primaryPhone", "mobilePhone", "streetAddress", "city", "state", "zipCode", "countryCode", "employeeNumber",
      "costCenter", "organization", "division", "department", "managerId", "manager");
  private static final Set<String> GROUP_PROFILE_MAPPED = Set.of("name");

  private OktaNormalizer() {}

  static ObjectNode user(JsonNode o) {
    ObjectNode u = Scim.user(o.path("id").asText());
    JsonNode p = o.path("profile");
    put(u, "userName", p, "login");
    if (has(p, "firstName") || has(p, "lastName") || has(p, "middleName")) {
      ObjectNode name = u.putObject("name");
      put(name, "givenName", p, "firstName");
      put(name, "familyName", p, "lastName");
      put(name, "middleName", p, "middleName");
      put(name, "honorificPrefix", p, "honorificPrefix");
      put(name, "honorificSuffix", p, "honorificSuffix");
    }
    put(u, "displayName", p, "displayName");
    put(u, "nickName", p, "nickName");
    put(u, "title", p, "title");
    put(u, "userType", p, "userType");
    put(u, "preferredLanguage", p, "preferredLanguage");
    put(u, "locale", p, "locale");
    put(u, "timezone", p, "timezone");
    put(u, "profileUrl", p, "profileUrl");
    String status = o.path("status").asText("");
    u.put("active", ACTIVE.contains(status));
    if (has(p, "email") || has(p, "secondEmail")) {
      ArrayNode emails = u.putArray("emails");
      if (has(p, "email")) {
        emails.addObject().put("value", p.get("email").asText()).put("type", "work").put("primary", true);
      }
      if (has(p, "secondEmail")) {
        emails.addObject().put("value", p.get("secondEmail").asText()).put("type", "other");
      }
    }
    if (has(p, "primaryPhone") || has(p, "mobilePhone")) {
      ArrayNode phones = u.putArray("phoneNumbers");
      if (has(p, "primaryPhone")) {
        phones.addObject().put("value", p.get("primaryPhone").asText()).put("type", "work").put("primary", true);
      }
      if (has(p, "mobilePhone")) {
        phones.addObject().put("value", p.get("mobilePhone").asText()).put("type", "mobile");
      }
    }
    if (has(p, "streetAddress") || has(p, "city") || has(p, "state") || has(p, "zipCode") || has(p, "countryCode")) {
      ObjectNode a = u.putArray("addresses").addObject();
      put(a, "streetAddress", p, "streetAddress");
      put(a, "locality", p, "city");
      put(a, "region", p, "state");
      put(a, "postalCode", p, "zipCode");
      put(a, "country", p, "countryCode");
      a.put("type", "work").put("primary", true);
    }
    if (has(p, "employeeNumber") || has(p, "costCenter") || has(p, "organization") || has(p, "division") || has(p, "department")
        || has(p, "managerId") || has(p, "manager")) {
      ObjectNode ent = Scim.extension(u, Scim.ENTERPRISE);
      put(ent, "employeeNumber", p, "employeeNumber");
      put(ent, "costCenter", p, "costCenter");
      put(ent, "organization", p, "organization");
      put(ent, "division", p, "division");
      put(ent, "department", p, "department");
      if (has(p, "managerId") || has(p, "manager")) {
        ObjectNode m = ent.putObject("manager");
        put(m, "value", p, "managerId");
        put(m, "displayName", p, "manager");
      }
    }
    ObjectNode ext = Scim.extension(u, USER_EXTENSION);
    ext.put("status", status);
    put(ext, "created", o, "created");
    if (o.path("type").has("id")) {
      ext.put("userTypeId", o.path("type").path("id").asText());
    }
    p.fields().forEachRemaining(e -> {
      if (!USER_PROFILE_MAPPED.contains(e.getKey())) {
        ext.set(e.getKey(), e.getValue());
      }
    });
    return Scim.prune(u);
  }

  static ObjectNode group(JsonNode o) {
    ObjectNode g = Scim.group(o.path("id").asText());
    JsonNode p = o.path("profile");
    put(g, "displayName", p, "name");
    ObjectNode ext = Scim.extension(g, GROUP_EXTENSION);
    put(ext, "type", o, "type");
    put(ext, "created", o, "created");
    p.fields().forEachRemaining(e -> {
      if (!GROUP_PROFILE_MAPPED.contains(e.getKey())) {
        ext.set(e.getKey(), e.getValue());
      }
    });
    return Scim.prune(g);
  }

  private static boolean has(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v != null && !v.isNull() && !(v.isTextual() && v.asText().isEmpty());
  }

  private static void put(ObjectNode to, String as, JsonNode from, String field) {
    if (has(from, field)) {
      to.set(as, from.get(field));
    }
  }
}
