package dev.dsync.platform;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventJson;
import dev.dsync.events.audit.AuditRecord;
import dev.dsync.platform.outbox.OutboxRelay;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(ManualRelayProfile.class)
@QuarkusTestResource(DevstackTestResource.class)
class OutboxReplicasTest {

  @Inject OutboxRelay relay;
  @Inject Pool pool;

  @Test
  void a_second_replica_skips_what_the_first_holds_and_per_key_order_holds() {
    String tenant = Tokens.newTenant();
    StringBuilder body = new StringBuilder("[");
    for (int i = 0; i < 7; i++) {
      body.append(i == 0 ? "" : ",").append("{\"text\":\"n").append(i).append("\"}");
    }
    List<String> noteIds =
        given().auth().oauth2(Tokens.admin(tenant)).contentType(ContentType.JSON).body(body.append("]").toString())
            .post("/api/v1/notes/batch").then().statusCode(201).extract().path("id");

    // Replica A claims (buckets and rows) and is mid-publish: its transaction stays open.
    SqlConnection replicaA = pool.getConnection().await().indefinitely();
    try {
      replicaA.query("begin").execute().await().indefinitely();
      int claimedByA =
          replicaA.preparedQuery(
                  "select id from platform_test.outbox_event where published_at is null"
                      + " and pg_try_advisory_xact_lock(hashtext('platform_test'), bucket) for update skip locked")
              .execute().await().indefinitely().rowCount();
      assertThat(claimedByA).isGreaterThanOrEqualTo(7);

      // Replica B (this relay) finds nothing it may take while A holds the key's bucket.
      assertThat(relay.relayOnce().await().indefinitely()).isZero();
      assertThat(unpublished(tenant)).isEqualTo(7);
    } finally {
      // A dies without marking anything: its locks go with its transaction.
      replicaA.query("rollback").execute().await().indefinitely();
      replicaA.closeAndAwait();
    }

    try (KafkaProbe probe = new KafkaProbe("dsync.audit.records")) {
      // B now drains in batches of 3, in order.
      int total = 0;
      for (int i = 0; i < 10 && unpublished(tenant) > 0; i++) {
        total += relay.relayOnce().await().indefinitely();
      }
      assertThat(unpublished(tenant)).isZero();
      assertThat(rows(tenant)).as("published rows leave the table (no retention configured)").isZero();
      assertThat(total).isGreaterThanOrEqualTo(7);
      await().atMost(Duration.ofSeconds(20)).until(() -> probe.forTenant(tenant).size() == 7);
      List<String> subjectsInKafkaOrder =
          probe.forTenant(tenant).stream()
              .map(s -> EventJson.read(s.value(), AuditRecord.class).targetId())
              .toList();
      assertThat(subjectsInKafkaOrder).as("per-key order = insertion order").isEqualTo(noteIds);
    }
  }

  @Test
  void each_drain_loop_takes_only_its_share_of_the_buckets() {
    // Audit records are keyed by tenant: twelve tenants spread their rows over the buckets.
    List<String> tenants = java.util.stream.IntStream.range(0, 12).mapToObj(i -> Tokens.newTenant()).toList();
    for (String tenant : tenants) {
      given().auth().oauth2(Tokens.admin(tenant)).contentType(ContentType.JSON).body("[{\"text\":\"a\"},{\"text\":\"b\"}]")
          .post("/api/v1/notes/batch").then().statusCode(201);
    }
    String[] ids = tenants.toArray(String[]::new);
    for (int slot = 0; slot < 4; slot++) {
      for (int i = 0; i < 20 && relay.relayOnce(4, slot).await().indefinitely() > 0; i++) {
        // drained in batches of 3
      }
      List<Integer> left = new java.util.ArrayList<>();
      pool.preparedQuery("select bucket from platform_test.outbox_event where tenant_id = any($1) and published_at is null")
          .execute(Tuple.of(ids)).await().indefinitely().forEach(r -> left.add(r.getInteger("bucket")));
      int done = slot;
      assertThat(left).as("after loops 0..%d", slot).allSatisfy(b -> assertThat(b % 4).isGreaterThan(done));
      if (slot == 0) {
        assertThat(left).as("the other loops' rows are still there").isNotEmpty();
      }
    }
    assertThat(unpublishedOf(ids)).isZero();
  }

  @Test
  void the_commit_notification_names_the_buckets_that_got_rows() {
    String tenant = Tokens.newTenant();
    List<String> payloads = new java.util.concurrent.CopyOnWriteArrayList<>();
    SqlConnection listener = pool.getConnection().await().indefinitely();
    try {
      io.vertx.mutiny.pgclient.PgConnection.cast(listener).notificationHandler(n -> payloads.add(n.getPayload()));
      listener.query("listen dsync_outbox_platform_test").execute().await().indefinitely();
      given().auth().oauth2(Tokens.admin(tenant)).contentType(ContentType.JSON).body("[{\"text\":\"a\"}]")
          .post("/api/v1/notes/batch").then().statusCode(201);
      int bucket = pool.preparedQuery("select bucket from platform_test.outbox_event where tenant_id = $1")
          .execute(Tuple.of(tenant)).await().indefinitely().iterator().next().getInteger("bucket");
      await().atMost(Duration.ofSeconds(10)).until(() -> payloads.contains(Integer.toString(bucket)));
    } finally {
      listener.query("unlisten *").execute().await().indefinitely();
      listener.closeAndAwait();
    }
  }

  private long unpublishedOf(String[] tenants) {
    return pool.preparedQuery("select count(*) from platform_test.outbox_event where tenant_id = any($1) and published_at is null")
        .execute(Tuple.of(tenants))
        .await().indefinitely()
        .iterator().next().getLong(0);
  }

  private long rows(String tenant) {
    return pool.preparedQuery("select count(*) from platform_test.outbox_event where tenant_id = $1")
        .execute(Tuple.of(tenant))
        .await().indefinitely()
        .iterator().next().getLong(0);
  }

  private long unpublished(String tenant) {
    return pool.preparedQuery(
            "select count(*) from platform_test.outbox_event where tenant_id = $1 and published_at is null")
        .execute(Tuple.of(tenant))
        .await().indefinitely()
        .iterator().next().getLong(0);
  }

}
