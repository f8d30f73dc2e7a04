package dev.dsync.platform;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.platform.outbox.OutboxConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The running relay serves one commit's rows in one claim, though they fall to several drain loops. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OutboxClaimsTest {

  @Inject Pool pool;
  @Inject MeterRegistry registry;
  @Inject OutboxConfig config;

  @Test
  void a_small_commit_over_several_drain_loops_is_one_claim() {
    String tenant = Tokens.newTenant();
    await().atMost(Duration.ofSeconds(30)).until(() -> unpublished() == 0);
    List<String> notified = new CopyOnWriteArrayList<>();
    SqlConnection listener = pool.getConnection().await().indefinitely();
    try (KafkaProbe audit = new KafkaProbe("dsync.audit.records")) {
      PgConnection.cast(listener).notificationHandler(n -> notified.add(n.getPayload()));
      listener.query("listen dsync_outbox_platform_test").execute().await().indefinitely();
      double before = claims();

      // 40 audit events over 32 keys, in one transaction.
      given().auth().oauth2(Tokens.admin(tenant)).post("/api/v1/notes/appended-sql/40?keys=32").then().statusCode(201);
      await().atMost(Duration.ofSeconds(30)).until(() -> audit.forTenant(tenant).size() >= 40);

      await().atMost(Duration.ofSeconds(10)).until(() -> !notified.isEmpty());
      long loops = Arrays.stream(String.join(",", notified).split(","))
          .mapToInt(b -> Integer.parseInt(b.trim()) % 16 % config.parallelism())
          .distinct().count();
      assertThat(loops).as("the commit's rows fall to most drain loops").isGreaterThanOrEqualTo(3);
      // One claim; two if a poll's claim let some of the loops go just as the NOTIFY came. A claim
      // per loop would be as many as the loops.
      assertThat(claims() - before).as("claims that published rows").isLessThan(loops).isLessThanOrEqualTo(2.0);
      assertThat(audit.forTenant(tenant)).hasSize(40);
    } finally {
      listener.query("unlisten *").execute().await().indefinitely();
      listener.closeAndAwait();
    }
  }

  @Test
  void a_row_that_cannot_be_published_holds_back_only_its_own_drain_loop() {
    String tenant = Tokens.newTenant();
    await().atMost(Duration.ofSeconds(30)).until(() -> unpublished() == 0);
    java.util.UUID bad = java.util.UUID.randomUUID();
    try (KafkaProbe state = new KafkaProbe("dsync.identity.state")) {
      // One statement, so one NOTIFY names all four buckets: a combined claim takes the bad row
      // (its source is no URI) with the others, and fails.
      pool.preparedQuery("insert into platform_test.outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source, tenant_id, bucket)"
              + " select case when b = 0 then $1 else gen_random_uuid() end, 'test', $2 || ':' || b, 'dsync.identity.state', '{}',"
              + " 'dsync.identity.state', case when b = 0 then 'no uri here' else '/dsync/test' end, $2, b from generate_series(0, 3) as b")
          .execute(io.vertx.mutiny.sqlclient.Tuple.of(bad, tenant)).await().indefinitely();
      await().atMost(Duration.ofSeconds(15)).until(() -> state.forTenant(tenant).size() >= 3);
      assertThat(state.forTenant(tenant)).extracting(KafkaProbe.Seen::key)
          .containsExactlyInAnyOrder(tenant + ":1", tenant + ":2", tenant + ":3");
      assertThat(unpublished()).as("the bad row stays for its loop to retry").isEqualTo(1);
    } finally {
      pool.preparedQuery("delete from platform_test.outbox_event where id = $1")
          .execute(io.vertx.mutiny.sqlclient.Tuple.of(bad)).await().indefinitely();
    }
  }

  private double claims() {
    return registry.find("dsync.outbox.claims").counter().count();
  }

  private long unpublished() {
    return pool.query("select count(*) from platform_test.outbox_event where published_at is null")
        .execute().await().indefinitely().iterator().next().getLong(0);
  }
}
