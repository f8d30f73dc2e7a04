package dev.dsync.scim.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.scim.protocol.ScimProblem;
import dev.dsync.scim.schema.ResourceSchema;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Rewrites the PATCH forms real clients send into RFC 7644 form before the SDK applies them:
 * op names in any case ({@code Replace}), and path-less add/replace values whose keys are
 * attribute paths ({@code "name.givenName"}, {@code "urn:...:enterprise:2.0:User:employeeNumber"},
 * Entra with aadOptscim062020) expanded into nested objects.
 */
public final class PatchNormalizer {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private PatchNormalizer() {}

  /** The normalised PatchOp body; fails with invalidSyntax for anything that is not a PatchOp. */
  public static ObjectNode normalize(JsonNode body, ResourceSchema schema) {
    if (body == null || !body.isObject()) {
      throw ScimProblem.invalidSyntax("a PATCH body must be a PatchOp JSON object");
    }
    JsonNode ops = field(body, "Operations");
    if (ops == null || !ops.isArray() || ops.isEmpty()) {
      throw ScimProblem.invalidSyntax("a PatchOp needs a non-empty 'Operations' array");
    }
    ObjectNode out = JSON.objectNode();
    out.set("schemas", JSON.arrayNode().add("urn:ietf:params:scim:api:messages:2.0:PatchOp"));
    ArrayNode normalized = out.putArray("Operations");
    for (JsonNode op : ops) {
      if (!op.isObject()) {
        throw ScimProblem.invalidSyntax("each operation must be an object");
      }
      JsonNode opName = field(op, "op");
      if (opName == null || !opName.isTextual()) {
        throw ScimProblem.invalidSyntax("each operation needs an 'op'");
      }
      String name = opName.asText().toLowerCase(Locale.ROOT);
      if (!name.equals("add") && !name.equals("replace") && !name.equals("remove")) {
        throw ScimProblem.invalidSyntax("unknown op '" + opName.asText() + "': use add, replace or remove");
      }
      ObjectNode n = JSON.objectNode().put("op", name);
      JsonNode path = field(op, "path");
      if (path != null && !path.isNull()) {
        if (!path.isTextual() || path.asText().isBlank()) {
          throw ScimProblem.invalidPath("'path' must be a non-empty string");
        }
        n.put("path", path.asText());
      }
      JsonNode value = field(op, "value");
      if (value != null) {
        if (path == null && value.isObject() && !name.equals("remove")) {
          value = expandPathKeys((ObjectNode) value, schema);
        }
        n.set("value", value);
      } else if (!name.equals("remove")) {
        throw ScimProblem.invalidSyntax("'" + name + "' needs a 'value'");
      }
      if (name.equals("remove") && !n.has("path")) {
        throw ScimProblem.noTarget("'remove' needs a 'path'");
      }
      normalized.add(n);
    }
    return out;
  }

  /** Expands keys that are attribute paths into nested objects. */
  static ObjectNode expandPathKeys(ObjectNode value, ResourceSchema schema) {
    ObjectNode out = JSON.objectNode();
    Iterator<Map.Entry<String, JsonNode>> it = value.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> f = it.next();
      String key = f.getKey();
      String urn = extensionPrefix(key, schema);
      if (urn != null && key.length() > urn.length() && key.charAt(urn.length()) == ':') {
        ObjectNode ext = out.has(urn) && out.get(urn).isObject() ? (ObjectNode) out.get(urn) : out.putObject(urn);
        put(ext, key.substring(urn.length() + 1), f.getValue());
      } else if (!key.startsWith("urn:") && key.contains(".")) {
        put(out, key, f.getValue());
      } else if (out.has(key) && out.get(key).isObject() && f.getValue().isObject()) {
        ((ObjectNode) out.get(key)).setAll((ObjectNode) f.getValue());
      } else {
        out.set(key, f.getValue());
      }
    }
    return out;
  }

  private static void put(ObjectNode target, String dotted, JsonNode value) {
    String[] parts = dotted.split("\\.");
    ObjectNode cur = target;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode next = cur.get(parts[i]);
      cur = next != null && next.isObject() ? (ObjectNode) next : cur.putObject(parts[i]);
    }
    cur.set(parts[parts.length - 1], value);
  }

  private static String extensionPrefix(String key, ResourceSchema schema) {
    for (ResourceSchema.Extension e : schema.extensions().values()) {
      if (key.regionMatches(true, 0, e.urn(), 0, e.urn().length())) {
        return key.substring(0, e.urn().length());
      }
    }
    return null;
  }

  private static JsonNode field(JsonNode node, String name) {
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String n = names.next();
      if (n.equalsIgnoreCase(name)) {
        return node.get(n);
      }
    }
    return null;
  }
}
