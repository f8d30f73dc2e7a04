package dev.dsync.scim.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.scim.protocol.ScimProblem;
import dev.dsync.scim.schema.AttributeDef;
import dev.dsync.scim.schema.ResourceSchema;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns what a client sent into the stored form of a resource: attribute names in their schema's
 * case, values of their schema's type (Entra's "False" becomes false), multi-valued attributes as
 * arrays, enterprise attributes sent at top level moved into their extension, read-only and null
 * attributes dropped, unknown extension attributes kept, and {@code schemas} recomputed.
 */
public final class ResourceNormalizer {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private ResourceNormalizer() {}

  /** Normalises {@code input}; {@code skip} names attributes handled elsewhere (group members). */
  public static ObjectNode normalize(ResourceSchema schema, JsonNode input, List<String> skip) {
    if (input == null || !input.isObject()) {
      throw ScimProblem.invalidSyntax("the request body must be a JSON object");
    }
    ObjectNode out = JSON.objectNode();
    List<String> extensionUrns = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> fields = input.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String key = f.getKey();
      JsonNode value = f.getValue();
      if (key.equalsIgnoreCase("schemas") || key.equalsIgnoreCase("id") || key.equalsIgnoreCase("meta")) {
        continue;
      }
      if (skip.stream().anyMatch(key::equalsIgnoreCase) || value == null || value.isNull()) {
        continue;
      }
      AttributeDef core = schema.attribute(key);
      if (core != null) {
        if (core.mutability() == AttributeDef.Mutability.READ_ONLY || core.mutability() == AttributeDef.Mutability.WRITE_ONLY) {
          continue;
        }
        out.set(core.name(), coerce(core, value, core.name()));
        continue;
      }
      ResourceSchema.Extension ext = schema.extension(key);
      if (ext != null) {
        if (!value.isObject()) {
          throw ScimProblem.invalidValue("'" + key + "' must be an object of the extension's attributes");
        }
        ObjectNode target = out.has(ext.urn()) ? (ObjectNode) out.get(ext.urn()) : JSON.objectNode();
        normalizeExtension(ext, (ObjectNode) value, target);
        if (!target.isEmpty()) {
          out.set(ext.urn(), target);
          if (!extensionUrns.contains(ext.urn())) {
            extensionUrns.add(ext.urn());
          }
        }
        continue;
      }
      ResourceSchema.Extension owner = extensionOwning(schema, key);
      if (owner != null) {
        // Clients (Entra's jyoung example, its manager PATCH) send enterprise attributes at top level.
        ObjectNode target = out.has(owner.urn()) ? (ObjectNode) out.get(owner.urn()) : JSON.objectNode();
        AttributeDef def = owner.attribute(key);
        target.set(def.name(), coerce(def, value, def.name()));
        out.set(owner.urn(), target);
        if (!extensionUrns.contains(owner.urn())) {
          extensionUrns.add(owner.urn());
        }
        continue;
      }
      // An attribute of no schema we know: kept as the client sent it (custom attributes).
      out.set(key, value);
      if (key.startsWith("urn:") && value.isObject() && !extensionUrns.contains(key)) {
        extensionUrns.add(key);
      }
    }
    ArrayNode schemas = JSON.arrayNode().add(schema.coreUrn());
    extensionUrns.forEach(schemas::add);
    ObjectNode result = JSON.objectNode();
    result.set("schemas", schemas);
    result.setAll(out);
    refuseNul(result);
    return result;
  }

  /**
   * A NUL character (JSON {@code \\u0000}) cannot be stored, in PostgreSQL text or jsonb: it was a
   * 500 from the database, and downstream it would hold the directory's changes in a retry loop.
   */
  private static void refuseNul(JsonNode node) {
    if (node.isTextual() && node.textValue().indexOf('\0') >= 0) {
      throw ScimProblem.invalidValue("a value holds a NUL character (\\u0000), which cannot be stored");
    }
    if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        if (f.getKey().indexOf('\0') >= 0) {
          throw ScimProblem.invalidValue("an attribute name holds a NUL character (\\u0000)");
        }
        refuseNul(f.getValue());
      }
    } else if (node.isArray()) {
      node.forEach(ResourceNormalizer::refuseNul);
    }
  }

  private static ResourceSchema.Extension extensionOwning(ResourceSchema schema, String key) {
    for (ResourceSchema.Extension e : schema.extensions().values()) {
      if (e.attribute(key) != null) {
        return e;
      }
    }
    return null;
  }

  private static void normalizeExtension(ResourceSchema.Extension ext, ObjectNode value, ObjectNode target) {
    value.fields().forEachRemaining(
        f -> {
          if (f.getValue() == null || f.getValue().isNull()) {
            return;
          }
          AttributeDef def = ext.attribute(f.getKey());
          if (def == null) {
            target.set(f.getKey(), f.getValue());
          } else if (def.mutability() != AttributeDef.Mutability.READ_ONLY) {
            target.set(def.name(), coerce(def, f.getValue(), def.name()));
          }
        });
  }

  static JsonNode coerce(AttributeDef def, JsonNode value, String path) {
    if (def.multiValued()) {
      ArrayNode arr = JSON.arrayNode();
      if (value.isArray()) {
        value.forEach(v -> {
          if (!v.isNull()) {
            arr.add(coerceSingle(def, v, path));
          }
        });
      } else {
        arr.add(coerceSingle(def, value, path));
      }
      return arr;
    }
    if (value.isArray()) {
      // A single-valued attribute sent as a one-element array (Entra's manager) is that element.
      if (value.size() == 1) {
        return coerceSingle(def, value.get(0), path);
      }
      throw ScimProblem.invalidValue("'" + path + "' is single-valued but got " + value.size() + " values");
    }
    return coerceSingle(def, value, path);
  }

  private static JsonNode coerceSingle(AttributeDef def, JsonNode value, String path) {
    switch (def.type()) {
      case BOOLEAN -> {
        if (value.isBoolean()) {
          return value;
        }
        if (value.isTextual()) {
          String s = value.asText().trim().toLowerCase(Locale.ROOT);
          if (s.equals("true") || s.equals("false")) {
            return JSON.booleanNode(s.equals("true"));
          }
        }
        throw ScimProblem.invalidValue("'" + path + "' must be a boolean");
      }
      case STRING, REFERENCE, DATETIME, BINARY -> {
        if (value.isTextual()) {
          return value;
        }
        if (value.isNumber() || value.isBoolean()) {
          return JSON.textNode(value.asText());
        }
        throw ScimProblem.invalidValue("'" + path + "' must be a string");
      }
      case INTEGER, DECIMAL -> {
        if (value.isNumber()) {
          return value;
        }
        throw ScimProblem.invalidValue("'" + path + "' must be a number");
      }
      case COMPLEX -> {
        if (!value.isObject()) {
          throw ScimProblem.invalidValue("'" + path + "' must be an object");
        }
        ObjectNode out = JSON.objectNode();
        value.fields().forEachRemaining(
            f -> {
              if (f.getValue() == null || f.getValue().isNull()) {
                return;
              }
              AttributeDef sub = def.sub(f.getKey());
              if (sub == null) {
                out.set(f.getKey(), f.getValue());
              } else if (sub.mutability() != AttributeDef.Mutability.READ_ONLY) {
                out.set(sub.name(), coerce(sub, f.getValue(), path + "." + sub.name()));
              }
            });
        return out;
      }
      default -> {
        return value;
      }
    }
  }
}
