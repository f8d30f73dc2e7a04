package dev.dsync.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.audit.chain.CanonicalJson;
import dev.dsync.audit.chain.ChainHash;
import dev.dsync.audit.chain.ChainedRecord;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ChainHashTest {

  @Test
  void the_canonical_form_depends_on_values_not_on_key_order_whitespace_or_number_spelling() {
    // What PostgreSQL's jsonb does to a document: keys reordered, numbers respelled, escapes undone.
    String sent = "{\"b\": [1, 2.50, 1e2], \"a\": {\"y\": \"caf\\u00e9\", \"x\": null}, \"c\": true}";
    String fromJsonb = "{\"a\": {\"x\": null, \"y\": \"café\"}, \"b\": [1, 2.5, 100], \"c\": true}";
    assertThat(CanonicalJson.write(CanonicalJson.parse(sent)))
        .isEqualTo(CanonicalJson.write(CanonicalJson.parse(fromJsonb)))
        .isEqualTo("{\"a\":{\"x\":null,\"y\":\"café\"},\"b\":[1,2.5,100],\"c\":true}");
  }

  @Test
  void every_field_and_the_previous_hash_are_covered_by_the_hash() {
    ChainedRecord r = record("alice", ChainHash.GENESIS);
    String hash = ChainHash.hash(r);
    assertThat(hash).hasSize(64).isEqualTo(ChainHash.hash(record("alice", ChainHash.GENESIS)));
    assertThat(ChainHash.hash(record("mallory", ChainHash.GENESIS))).isNotEqualTo(hash);
    assertThat(ChainHash.hash(record("alice", "1".repeat(64)))).isNotEqualTo(hash);
    assertThat(ChainHash.canonicalForm(r)).contains("\"prevHash\":\"" + ChainHash.GENESIS + "\"").contains("\"position\":1");
  }

  @Test
  void the_canonical_form_is_the_sorted_object_of_every_field() {
    // Pinned: records hashed by an earlier build must still verify.
    assertThat(ChainHash.canonicalForm(record("alice", ChainHash.GENESIS)))
        .isEqualTo("{\"action\":\"rule.updated\",\"actor\":{\"id\":\"alice\",\"kind\":\"ADMIN\"},\"data\":{\"k\":1},"
            + "\"directoryId\":null,\"entityId\":\"r1\",\"entityType\":\"rule\","
            + "\"eventId\":\"6f1e2d3c-4b5a-4968-8776-655443322110\",\"eventType\":\"dsync.audit.record\",\"jobId\":null,"
            + "\"occurredAt\":1767225600123456,\"outcome\":\"SUCCESS\",\"position\":1,\"prevHash\":\"" + ChainHash.GENESIS + "\","
            + "\"recordedAt\":1767225600123456,\"source\":\"/dsync/x\",\"tenantId\":\"acme\",\"traceId\":null}");
  }

  private static ChainedRecord record(String actor, String prev) {
    Instant t = Instant.parse("2026-01-01T00:00:00.123456Z");
    return new ChainedRecord(
        "acme", 1, UUID.fromString("6f1e2d3c-4b5a-4968-8776-655443322110"), "dsync.audit.record", "/dsync/x", null, t, t,
        "ADMIN", actor, "rule.updated", "rule", "r1", "SUCCESS", null, null, CanonicalJson.parse("{\"k\":1}"), prev, null);
  }
}
