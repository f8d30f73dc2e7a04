package dev.dsync.poller.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.poller.source.Scim;
import java.util.Locale;
import java.util.Set;

/**
 * Directory API users and groups (Admin SDK, "REST Resource: users" and "REST Resource: groups") to
 * SCIM core + enterprise. The primary organization gives title, department, cost center, organization
 * and (its description, the Admin console's "Type of employee") userType; externalIds of type
 * organization the employee number; the manager relation the manager. Every other attribute (orgUnitPath,
 * isAdmin, aliases, the whole organizations/externalIds/relations lists, ...) is kept in a Google
 * extension, and customSchemas in an extension of their own. Bookkeeping that moves without a change
 * (etag, lastLoginTime, thumbnailPhotoEtag, kind) is never copied, so it never looks like a change.
 */
final class GoogleNormalizer {

  static final String USER_EXTENSION = "urn:dsync:params:scim:schemas:extension:google:2.0:User";
  static final String CUSTOM_SCHEMAS = "urn:dsync:params:scim:schemas:extension:google:2.0:CustomSchemas";
  static final String GROUP_EXTENSION = "urn:dsync:params:scim:schemas:extension:google:2.0:Group";

  private static final Set<String> USER_MAPPED = Set.of("id", "primaryEmail", "name", "suspended", "archived", "emails", "phones",
      "addresses", "customSchemas", "languages");
  private static final Set<String> VOLATILE = Set.of("kind", "etag", "lastLoginTime", "thumbnailPhotoEtag", "thumbnailPhotoUrl");
  private static final Set<String> GROUP_MAPPED = Set.of("id", "name");
  /** directMembersCount moves with every membership change, which the membership events already carry. */
  private static final Set<String> GROUP_VOLATILE = Set.of("kind", "etag", "directMembersCount");

  private GoogleNormalizer() {}

  static ObjectNode user(JsonNode o) {
    ObjectNode u = Scim.user(o.path("id").asText());
    put(u, "userName", o, "primaryEmail");
    JsonNode n = o.path("name");
    if (has(n, "givenName") || has(n, "familyName")) {
      ObjectNode name = u.putObject("name");
      put(name, "givenName", n, "givenName");
      put(name, "familyName", n, "familyName");
      put(name, "formatted", n, "fullName");
    }
    if (has(n, "displayName")) {
      put(u, "displayName", n, "displayName");
    } else {
      put(u, "displayName", n, "fullName");
    }
    // Suspended and archived users cannot sign in.
    u.put("active", !o.path("suspended").asBoolean(false) && !o.path("archived").asBoolean(false));
    emails(u, o);
    phones(u, o);
    addresses(u, o);
    JsonNode lang = first(o.path("languages"), l -> true);
    if (lang != null && has(lang, "languageCode")) {
      u.put("preferredLanguage", lang.get("languageCode").asText());
    }

    JsonNode org = first(o.path("organizations"), x -> x.path("primary").asBoolean(false));
    if (org == null) {
      org = first(o.path("organizations"), x -> true);
    }
    JsonNode employeeId = first(o.path("externalIds"), x -> "organization".equals(x.path("type").asText()));
    JsonNode manager = first(o.path("relations"), x -> "manager".equals(x.path("type").asText()));
    if (org != null) {
      put(u, "title", org, "title");
      put(u, "userType", org, "description");
    }
    if (org != null || employeeId != null || manager != null) {
      ObjectNode ent = Scim.extension(u, Scim.ENTERPRISE);
      if (employeeId != null) {
        put(ent, "employeeNumber", employeeId, "value");
      }
      if (org != null) {
        put(ent, "organization", org, "name");
        put(ent, "department", org, "department");
        put(ent, "costCenter", org, "costCenter");
      }
      if (manager != null && has(manager, "value")) {
        // Google keeps the manager as free text, usually the manager's email; it is not a user id.
        ent.putObject("manager").put("value", manager.get("value").asText());
      }
    }

    ObjectNode ext = Scim.extension(u, USER_EXTENSION);
    o.fields().forEachRemaining(e -> {
      if (!USER_MAPPED.contains(e.getKey()) && !VOLATILE.contains(e.getKey()) && !e.getValue().isNull()) {
        ext.set(e.getKey(), e.getValue());
      }
    });
    ext.put("suspended", o.path("suspended").asBoolean(false));
    put(ext, "suspensionReason", o, "suspensionReason");
    if (o.path("customSchemas").isObject() && !o.path("customSchemas").isEmpty()) {
      ObjectNode custom = Scim.extension(u, CUSTOM_SCHEMAS);
      o.get("customSchemas").fields().forEachRemaining(e -> custom.set(e.getKey(), e.getValue()));
    }
    return Scim.prune(u);
  }

  static ObjectNode group(JsonNode o) {
    ObjectNode g = Scim.group(o.path("id").asText());
    put(g, "displayName", o, "name");
    ObjectNode ext = Scim.extension(g, GROUP_EXTENSION);
    o.fields().forEachRemaining(e -> {
      if (!GROUP_MAPPED.contains(e.getKey()) && !GROUP_VOLATILE.contains(e.getKey()) && !e.getValue().isNull()) {
        ext.set(e.getKey(), e.getValue());
      }
    });
    return Scim.prune(g);
  }

  private static void emails(ObjectNode u, JsonNode o) {
    String primary = o.path("primaryEmail").asText(null);
    ArrayNode emails = u.arrayNode();
    if (primary != null) {
      emails.addObject().put("value", primary).put("type", "work").put("primary", true);
    }
    for (JsonNode e : o.path("emails")) {
      String address = e.path("address").asText(null);
      if (address != null && !address.equalsIgnoreCase(primary)) {
        emails.addObject().put("value", address).put("type", scimType(e.path("type").asText("other"), Set.of("work", "home", "other")));
      }
    }
    if (!emails.isEmpty()) {
      u.set("emails", emails);
    }
  }

  private static void phones(ObjectNode u, JsonNode o) {
    ArrayNode phones = u.arrayNode();
    for (JsonNode p : o.path("phones")) {
      if (has(p, "value")) {
        ObjectNode out = phones.addObject().put("value", p.get("value").asText()).put("type", phoneType(p.path("type").asText("other")));
        if (p.path("primary").asBoolean(false)) {
          out.put("primary", true);
        }
      }
    }
    if (!phones.isEmpty()) {
      u.set("phoneNumbers", phones);
    }
  }

  private static void addresses(ObjectNode u, JsonNode o) {
    ArrayNode out = u.arrayNode();
    for (JsonNode a : o.path("addresses")) {
      ObjectNode s = out.addObject();
      put(s, "formatted", a, "formatted");
      put(s, "streetAddress", a, "streetAddress");
      put(s, "locality", a, "locality");
      put(s, "region", a, "region");
      put(s, "postalCode", a, "postalCode");
      if (has(a, "countryCode")) {
        put(s, "country", a, "countryCode");
      } else {
        put(s, "country", a, "country");
      }
      s.put("type", scimType(a.path("type").asText("other"), Set.of("work", "home", "other")));
      if (a.path("primary").asBoolean(false)) {
        s.put("primary", true);
      }
    }
    if (!out.isEmpty()) {
      u.set("addresses", out);
    }
  }

  /** Google phone types (work, work_mobile, home_fax, pager, ...) to SCIM's work, home, mobile, fax, pager, other. */
  static String phoneType(String google) {
    String t = google.toLowerCase(Locale.ROOT);
    if (t.endsWith("fax")) {
      return "fax";
    }
    if (t.endsWith("pager")) {
      return "pager";
    }
    if (t.endsWith("mobile")) {
      return "mobile";
    }
    if (t.equals("work") || t.equals("company_main") || t.equals("main")) {
      return "work";
    }
    return t.equals("home") ? "home" : "other";
  }

  private static String scimType(String google, Set<String> known) {
    return known.contains(google) ? google : "other";
  }

  private static JsonNode first(JsonNode array, java.util.function.Predicate<JsonNode> test) {
    if (array.isArray()) {
      for (JsonNode x : array) {
        if (test.test(x)) {
          return x;
        }
      }
    }
    return null;
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
