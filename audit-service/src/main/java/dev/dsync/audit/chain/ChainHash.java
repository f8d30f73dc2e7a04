package dev.dsync.audit.chain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hash chain: each record's hash is SHA-256 over the canonical JSON of all its fields,
 * including its position and the previous record's hash, so changing, removing or reordering any
 * record changes every hash after it.
 */
public final class ChainHash {

  /** The "previous hash" of a tenant's first record. */
  public static final String GENESIS = "0".repeat(64);

  private ChainHash() {}

  /** The canonical form that is hashed (public so an external verifier can be tested against it). */
  public static String canonicalForm(ChainedRecord r) {
    return canonicalForm(r, CanonicalJson.write(r.data()));
  }

  /** As {@link #canonicalForm(ChainedRecord)}, with the data's canonical text already at hand. */
  public static String canonicalForm(ChainedRecord r, String canonicalData) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("tenantId", text(r.tenantId()));
    fields.put("position", Long.toString(r.position()));
    fields.put("eventId", text(r.eventId() == null ? null : r.eventId().toString()));
    fields.put("eventType", text(r.eventType()));
    fields.put("source", text(r.source()));
    fields.put("directoryId", text(r.directoryId()));
    fields.put("occurredAt", epochMicros(r.occurredAt()));
    fields.put("recordedAt", epochMicros(r.recordedAt()));
    fields.put(
        "actor",
        CanonicalJson.object(Map.of("kind", text(r.actorKind()), "id", text(r.actorId()))));
    fields.put("action", text(r.action()));
    fields.put("entityType", text(r.entityType()));
    fields.put("entityId", text(r.entityId()));
    fields.put("outcome", text(r.outcome()));
    fields.put("jobId", text(r.jobId()));
    fields.put("traceId", text(r.traceId()));
    fields.put("data", canonicalData);
    fields.put("prevHash", text(r.prevHash()));
    return CanonicalJson.object(fields);
  }

  /** Hex SHA-256 of the record's canonical form (its own {@code hash} field is not part of it). */
  public static String hash(ChainedRecord r) {
    return hash(r, CanonicalJson.write(r.data()));
  }

  /** As {@link #hash(ChainedRecord)}, with the data's canonical text already at hand. */
  public static String hash(ChainedRecord r, String canonicalData) {
    return HexFormat.of().formatHex(sha256().digest(canonicalForm(r, canonicalData).getBytes(StandardCharsets.UTF_8)));
  }

  /** Truncates to what PostgreSQL stores, so a time hashes the same before and after a round trip. */
  public static Instant micros(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.MICROS);
  }

  private static String epochMicros(Instant t) {
    if (t == null) {
      return "null";
    }
    return Long.toString(Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000));
  }

  private static String text(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(s.length() + 2);
    CanonicalJson.string(s, out);
    return out.toString();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
