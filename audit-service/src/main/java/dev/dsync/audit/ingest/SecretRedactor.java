package dev.dsync.audit.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.dsync.audit.config.AuditConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Removes secrets from event data before it is stored: values under secret-looking keys become
 * {@code [REDACTED]} (the key stays, so the trail still shows that e.g. a password was set).
 * Also drops NUL characters, which PostgreSQL's jsonb cannot store.
 */
@ApplicationScoped
public class SecretRedactor {

  public static final String REDACTED = "[REDACTED]";

  private final List<String> suffixes;

  public SecretRedactor(AuditConfig config) {
    this.suffixes = config.redactKeys().stream().map(SecretRedactor::normalise).toList();
  }

  /** Redacts in place and answers the node (a new node if {@code data} itself is a string). */
  public JsonNode redact(JsonNode data) {
    if (data == null) {
      return null;
    }
    if (data.isObject()) {
      ObjectNode object = (ObjectNode) data;
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
      object.fields().forEachRemaining(fields::add);
      for (Map.Entry<String, JsonNode> field : fields) {
        if (isSecret(field.getKey()) && !field.getValue().isNull()) {
          object.put(field.getKey(), REDACTED);
        } else {
          object.set(field.getKey(), redact(field.getValue()));
        }
      }
      return object;
    }
    if (data.isArray()) {
      ArrayNode array = (ArrayNode) data;
      for (int i = 0; i < array.size(); i++) {
        array.set(i, redact(array.get(i)));
      }
      return array;
    }
    if (data.isTextual() && data.textValue().indexOf('\u0000') >= 0) {
      return TextNode.valueOf(data.textValue().replace("\u0000", ""));
    }
    return data;
  }

  boolean isSecret(String key) {
    String k = normalise(key);
    for (String suffix : suffixes) {
      if (k.endsWith(suffix)) {
        return true;
      }
    }
    return false;
  }

  private static String normalise(String key) {
    return key.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
  }
}
