package dev.dsync.audit.chain;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The canonical JSON form that audit hashes are computed over: object keys sorted, no whitespace,
 * numbers written from their value (so 1.50, 1.5 and 15e-1 are one form). PostgreSQL's jsonb
 * reorders keys and rewrites numbers, so the form must depend on values only: a record read back
 * from the database canonicalises to the same bytes it was hashed from.
 */
public final class CanonicalJson {

  /** Reads numbers exactly (BigDecimal), so no float rounding differs between ingest and verify. */
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

  private CanonicalJson() {}

  public static JsonNode parse(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JsonNode parse(byte[] json) throws IOException {
    return MAPPER.readTree(json);
  }

  /** The canonical text of {@code node}. */
  public static String write(JsonNode node) {
    StringBuilder out = new StringBuilder(256);
    write(node, out);
    return out.toString();
  }

  public static byte[] bytes(JsonNode node) {
    return write(node).getBytes(StandardCharsets.UTF_8);
  }

  static void write(JsonNode node, StringBuilder out) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      out.append("null");
    } else if (node.isObject()) {
      // Entries sorted by key: no lookups by key (large objects make those slow).
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.size());
      node.fields().forEachRemaining(fields::add);
      fields.sort(Map.Entry.comparingByKey());
      out.append('{');
      for (int i = 0; i < fields.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        string(fields.get(i).getKey(), out);
        out.append(':');
        write(fields.get(i).getValue(), out);
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      Iterator<JsonNode> items = node.elements();
      boolean first = true;
      while (items.hasNext()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        write(items.next(), out);
      }
      out.append(']');
    } else if (node.isIntegralNumber()) {
      out.append(node.bigIntegerValue());
    } else if (node.isNumber()) {
      BigDecimal value = node.decimalValue();
      out.append(value.signum() == 0 ? "0" : value.stripTrailingZeros().toPlainString());
    } else if (node.isBoolean()) {
      out.append(node.booleanValue());
    } else if (node.isTextual()) {
      string(node.textValue(), out);
    } else {
      // Binary or POJO nodes never come from parsed JSON; write their text form.
      string(node.asText(), out);
    }
  }

  static void string(String s, StringBuilder out) {
    out.append('"');
    JsonStringEncoder.getInstance().quoteAsString(s, out);
    out.append('"');
  }

  /** Writes a map of already-canonical parts: sorted keys, values as given (tests and hashing). */
  static String object(Map<String, String> canonicalValues) {
    StringBuilder out = new StringBuilder(512);
    out.append('{');
    boolean first = true;
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(canonicalValues).entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      string(e.getKey(), out);
      out.append(':').append(e.getValue());
    }
    return out.append('}').toString();
  }
}
