package dev.dsync.audit.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.dsync.audit.config.AuditConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Removes secrets from event data before it is stored: values under secret-looking keys become
 * {@code [REDACTED]} (the key stays, so the trail still shows that e.g. a password was set).
 * Also drops NUL characters, which PostgreSQL's jsonb cannot store.
 */
@ApplicationScoped
public class SecretRedactor {

  public static final String REDACTED = "[REDACTED]";

  private static final TextNode REDACTED_NODE = TextNode.valueOf(REDACTED);

  private final List<String> suffixes;
  private final Map<String, Boolean> verdicts = new ConcurrentHashMap<>();

  public SecretRedactor(AuditConfig config) {
    this.suffixes = config.redactKeys().stream().map(SecretRedactor::normalise).toList();
  }

  /** Redacts in place and answers the node (a new node if {@code data} itself is a string). */
  public JsonNode redact(JsonNode data) {
    if (data == null) {
      return null;
    }
    if (data.isObject()) {
      // In place through the entries: no copy of the fields, no lookups by key.
      Iterator<Map.Entry<String, JsonNode>> fields = data.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        JsonNode value = field.getValue();
        if (value.isNull()) {
          continue;
        }
        JsonNode redacted = isSecret(field.getKey()) ? REDACTED_NODE : redact(value);
        if (redacted != value) {
          field.setValue(redacted);
        }
      }
      return data;
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
    Boolean known = verdicts.get(key);
    if (known != null) {
      return known;
    }
    boolean secret = computeIsSecret(key);
    // Events reuse a small set of keys; the bound keeps odd data from growing the cache.
    if (verdicts.size() < 10_000) {
      verdicts.put(key, secret);
    }
    return secret;
  }

  private boolean computeIsSecret(String key) {
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
