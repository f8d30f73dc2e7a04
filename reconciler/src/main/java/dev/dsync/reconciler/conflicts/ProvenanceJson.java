package dev.dsync.reconciler.conflicts;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.dsync.events.EventJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A user's provenance as stored: each distinct provenance once, with the attributes it holds for
 * ({@code [{"directoryId":..,"sourceVersion":..,"sourceTime":..,"priority":..,"attributes":[..]}]}).
 * The attributes one change sets share a provenance, and written per attribute it was 1,170
 * characters of a bench user's 2,100: over PostgreSQL's 2 kB row threshold, so every insert
 * compressed it (pglz) and every write sent and logged it in full. Rows written before hold the
 * per-attribute object ({@code {"attr":{..}}}), which {@link #read} still reads.
 */
public final class ProvenanceJson {

  private static final TypeReference<TreeMap<String, Provenance>> PER_ATTRIBUTE = new TypeReference<>() {};

  /** One distinct provenance and the attributes that have it. */
  record Shared(String directoryId, long sourceVersion, Instant sourceTime, int priority, List<String> attributes) {}

  private ProvenanceJson() {}

  public static String write(Map<String, Provenance> provenance) {
    Map<Provenance, List<String>> shared = new LinkedHashMap<>();
    provenance.forEach((attribute, p) -> {
      if (p != null) {
        shared.computeIfAbsent(p, k -> new ArrayList<>(provenance.size())).add(attribute);
      }
    });
    StringBuilder out = new StringBuilder(160 + 24 * provenance.size()).append('[');
    boolean first = true;
    for (Map.Entry<Provenance, List<String>> e : shared.entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      Provenance p = e.getKey();
      out.append('{');
      if (p.directoryId() != null) {
        quoted(out.append("\"directoryId\":"), p.directoryId()).append(',');
      }
      out.append("\"sourceVersion\":").append(p.sourceVersion());
      if (p.sourceTime() != null) {
        out.append(",\"sourceTime\":\"").append(p.sourceTime()).append('"');
      }
      out.append(",\"priority\":").append(p.priority()).append(",\"attributes\":[");
      List<String> attributes = e.getValue();
      for (int i = 0; i < attributes.size(); i++) {
        quoted(out.append(i == 0 ? "" : ","), attributes.get(i));
      }
      out.append("]}");
    }
    return out.append(']').toString();
  }

  /** Provenance by attribute, from either stored form; none for null. */
  public static TreeMap<String, Provenance> read(String json) {
    TreeMap<String, Provenance> out = new TreeMap<>();
    if (json == null) {
      return out;
    }
    try {
      if (!json.startsWith("[")) {
        return EventJson.mapper().readValue(json, PER_ATTRIBUTE);
      }
      for (Shared s : EventJson.mapper().readValue(json, Shared[].class)) {
        Provenance p = new Provenance(s.directoryId(), s.sourceVersion(), s.sourceTime(), s.priority());
        for (String attribute : s.attributes() == null ? List.<String>of() : s.attributes()) {
          out.put(attribute, p);
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static StringBuilder quoted(StringBuilder out, String s) {
    return out.append('"').append(JsonStringEncoder.getInstance().quoteAsString(s)).append('"');
  }
}
