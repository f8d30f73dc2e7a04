package dev.dsync.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.dsync.audit.checkpoint.CheckpointScheduler;
import dev.dsync.audit.retention.RetentionJob;
import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.audit.AuditCheckpoint;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class CheckpointRetentionTest {

  private static final String CHECKPOINT = EventType.AUDIT_CHECKPOINT.type();

  @Inject CheckpointScheduler checkpoints;
  @Inject RetentionJob retention;
  @Inject Pool pool;

  @Test
  void moved_chain_heads_are_checkpointed_to_kafka_and_not_recorded_again() {
    String tenant = Tokens.newTenant();
    Seed.auditRecords(tenant, 5);
    Row head = head(tenant);

    assertThat(checkpoints.checkpointAll().await().indefinitely()).isGreaterThanOrEqualTo(1);

    try (KafkaProbe probe = new KafkaProbe("dsync.audit.records")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.of(tenant, CHECKPOINT).size() == 1);
      KafkaProbe.Seen seen = probe.of(tenant, CHECKPOINT).get(0);
      assertThat(seen.key()).isEqualTo(tenant);
      AuditCheckpoint checkpoint = EventJson.read(seen.value(), AuditCheckpoint.class);
      assertThat(checkpoint.headPosition()).isEqualTo(5);
      assertThat(checkpoint.count()).isEqualTo(5);
      assertThat(checkpoint.headHash()).isEqualTo(head.getString("hash"));

      // An unmoved head is not checkpointed again.
      checkpoints.checkpointAll().await().indefinitely();
      assertThat(Db.count("select count(*) from audit.audit_checkpoint where tenant_id = ?", tenant)).isEqualTo(1);

      // The checkpoint came back through dsync.audit.records; a later record on the same
      // partition is recorded, the checkpoint before it was not.
      Seed.auditRecords(tenant, 1);
      assertThat(Db.count("select count(*) from audit.audit_record where tenant_id = ?", tenant)).isEqualTo(6);
      assertThat(probe.of(tenant, CHECKPOINT)).hasSize(1);
    }
    given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/audit/verify")
        .then().statusCode(200).body("valid", equalTo(true)).body("checkedRecords", equalTo(6));
  }

  @Test
  void retention_checkpoints_then_deletes_old_records_and_the_rest_still_verifies() {
    String tenant = Tokens.newTenant();
    Seed.auditRecords(tenant, 6);
    Instant sixth = recordedAt(tenant, 6);
    Seed.auditRecords(tenant, 4);

    // The default period (400 days) keeps everything.
    retention.runOnce(Instant.now()).await().indefinitely();
    assertThat(Db.count("select count(*) from audit.audit_record where tenant_id = ?", tenant)).isEqualTo(10);

    long deleted = retention.purge(tenant, sixth.plusNanos(1_000)).await().indefinitely();
    assertThat(deleted).isEqualTo(6);
    assertThat(Db.count("select min(seq) from audit.audit_record where tenant_id = ?", tenant)).isEqualTo(7);

    try (KafkaProbe probe = new KafkaProbe("dsync.audit.records")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.of(tenant, CHECKPOINT).size() == 1);
      AuditCheckpoint anchor = EventJson.read(probe.of(tenant, CHECKPOINT).get(0).value(), AuditCheckpoint.class);
      assertThat(anchor.headPosition()).isEqualTo(6);
    }
    given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/audit/verify")
        .then().statusCode(200)
        .body("valid", equalTo(true))
        .body("prunedThrough", equalTo(6))
        .body("firstPosition", equalTo(7))
        .body("checkedRecords", equalTo(4));

    // Running again deletes nothing more; a deletion outside the declared prefix is still caught.
    assertThat(retention.purge(tenant, sixth.plusNanos(1_000)).await().indefinitely()).isZero();
    Db.update("delete from audit.audit_record where tenant_id = ? and seq = 8", tenant);
    given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/audit/verify")
        .then().statusCode(200)
        .body("valid", equalTo(false))
        .body("firstBreak.kind", equalTo("RECORDS_MISSING"))
        .body("firstBreak.position", equalTo(8));
  }

  @Test
  void rows_deleted_without_a_retention_checkpoint_are_caught() {
    String tenant = Tokens.newTenant();
    Seed.auditRecords(tenant, 4);
    Db.update("delete from audit.audit_record where tenant_id = ? and seq <= 2", tenant);
    given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/audit/verify")
        .then().statusCode(200)
        .body("valid", equalTo(false))
        .body("firstBreak.kind", equalTo("RECORDS_MISSING"))
        .body("firstBreak.position", equalTo(1));
  }

  private Row head(String tenant) {
    return pool.preparedQuery("select seq, hash from chain_head where tenant_id = $1")
        .execute(Tuple.of(tenant)).await().indefinitely().iterator().next();
  }

  private Instant recordedAt(String tenant, long seq) {
    List<Row> rows = new java.util.ArrayList<>();
    pool.preparedQuery("select recorded_at from audit_record where tenant_id = $1 and seq = $2")
        .execute(Tuple.of(tenant, seq)).await().indefinitely().forEach(rows::add);
    return rows.get(0).getOffsetDateTime(0).toInstant();
  }
}
