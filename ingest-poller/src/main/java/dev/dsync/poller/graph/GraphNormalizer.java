package dev.dsync.poller.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.poller.source.Scim;
import java.util.Set;

/**
 * Microsoft Graph users and groups to SCIM core + enterprise, with every other Graph property kept
 * in a Graph extension. Only properties present in the Graph object are set (a null clears), so a
 * partial delta update merges into the last known state without inventing blanks.
 */
final class GraphNormalizer {

  static final String USER_EXTENSION = "urn:dsync:params:scim:schemas:extension:microsoft-graph:2.0:User";
  static final String GROUP_EXTENSION = "urn:dsync:params:scim:schemas:extension:microsoft-graph:2.0:Group";

  static final String USER_SELECT = "id,userPrincipalName,displayName,givenName,surname,mail,accountEnabled,jobTitle,department,"
      + "employeeId,companyName,mobilePhone,businessPhones,preferredLanguage,officeLocation,usageLocation";
  static final String GROUP_SELECT = "id,displayName,description,mail,mailNickname,mailEnabled,securityEnabled,groupTypes,members";

  private static final Set<String> USER_MAPPED = Set.of("id", "userPrincipalName", "displayName", "givenName", "surname", "mail",
      "accountEnabled", "jobTitle", "department", "employeeId", "companyName", "mobilePhone", "businessPhones", "preferredLanguage");
  private static final Set<String> GROUP_MAPPED = Set.of("id", "displayName", "members@delta");

  private GraphNormalizer() {}

  static ObjectNode user(JsonNode g) {
    String id = g.get("id").asText();
    ObjectNode u = Scim.user(id);
    copy(g, "userPrincipalName", u, "userName");
    copy(g, "displayName", u, "displayName");
    copy(g, "jobTitle", u, "title");
    copy(g, "preferredLanguage", u, "preferredLanguage");
    if (g.has("accountEnabled")) {
      if (g.get("accountEnabled").isNull()) {
        u.putNull("active");
      } else {
        u.put("active", g.get("accountEnabled").asBoolean());
      }
    }
    if (g.has("givenName") || g.has("surname")) {
      ObjectNode name = u.putObject("name");
      copy(g, "givenName", name, "givenName");
      copy(g, "surname", name, "familyName");
    }
    if (g.has("mail")) {
      if (g.get("mail").isNull()) {
        u.putNull("emails");
      } else {
        u.putArray("emails").addObject().put("value", g.get("mail").asText()).put("type", "work").put("primary", true);
      }
    }
    if (g.has("businessPhones") || g.has("mobilePhone")) {
      ArrayNode phones = u.putArray("phoneNumbers");
      JsonNode business = g.get("businessPhones");
      if (business != null && business.isArray()) {
        business.forEach(p -> phones.addObject().put("value", p.asText()).put("type", "work"));
      }
      JsonNode mobile = g.get("mobilePhone");
      if (mobile != null && !mobile.isNull()) {
        phones.addObject().put("value", mobile.asText()).put("type", "mobile");
      }
      if (phones.isEmpty()) {
        u.putNull("phoneNumbers");
      }
    }
    if (g.has("department") || g.has("employeeId") || g.has("companyName")) {
      ObjectNode ent = Scim.extension(u, Scim.ENTERPRISE);
      copy(g, "department", ent, "department");
      copy(g, "employeeId", ent, "employeeNumber");
      copy(g, "companyName", ent, "organization");
    }
    keepRest(g, u, USER_MAPPED, USER_EXTENSION);
    return u;
  }

  static ObjectNode group(JsonNode g) {
    ObjectNode out = Scim.group(g.get("id").asText());
    copy(g, "displayName", out, "displayName");
    keepRest(g, out, GROUP_MAPPED, GROUP_EXTENSION);
    return out;
  }

  private static void keepRest(JsonNode g, ObjectNode resource, Set<String> mapped, String urn) {
    g.fields().forEachRemaining(e -> {
      String k = e.getKey();
      if (!mapped.contains(k) && !k.startsWith("@") && !k.contains("@odata")) {
        Scim.extension(resource, urn).set(k, e.getValue());
      }
    });
  }

  private static void copy(JsonNode from, String field, ObjectNode to, String as) {
    if (from.has(field)) {
      JsonNode v = from.get(field);
      if (v.isNull()) {
        to.putNull(as);
      } else {
        to.set(as, v);
      }
    }
  }
}
