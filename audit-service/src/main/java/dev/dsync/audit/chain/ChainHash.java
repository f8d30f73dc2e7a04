package dev.dsync.audit.chain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

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
    // The canonical object of the fields, written straight out: keys in sorted order, no map.
    StringBuilder out = new StringBuilder(canonicalData.length() + 800);
    out.append("{\"action\":");
    text(r.action(), out);
    out.append(",\"actor\":{\"id\":");
    text(r.actorId(), out);
    out.append(",\"kind\":");
    text(r.actorKind(), out);
    out.append("},\"data\":").append(canonicalData);
    out.append(",\"directoryId\":");
    text(r.directoryId(), out);
    out.append(",\"entityId\":");
    text(r.entityId(), out);
    out.append(",\"entityType\":");
    text(r.entityType(), out);
    out.append(",\"eventId\":");
    text(r.eventId() == null ? null : r.eventId().toString(), out);
    out.append(",\"eventType\":");
    text(r.eventType(), out);
    out.append(",\"jobId\":");
    text(r.jobId(), out);
    out.append(",\"occurredAt\":").append(epochMicros(r.occurredAt()));
    out.append(",\"outcome\":");
    text(r.outcome(), out);
    out.append(",\"position\":").append(r.position());
    out.append(",\"prevHash\":");
    text(r.prevHash(), out);
    out.append(",\"recordedAt\":").append(epochMicros(r.recordedAt()));
    out.append(",\"source\":");
    text(r.source(), out);
    out.append(",\"tenantId\":");
    text(r.tenantId(), out);
    out.append(",\"traceId\":");
    text(r.traceId(), out);
    return out.append('}').toString();
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

  private static void text(String s, StringBuilder out) {
    if (s == null) {
      out.append("null");
    } else {
      CanonicalJson.string(s, out);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
