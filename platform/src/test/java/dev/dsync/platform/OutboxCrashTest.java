package dev.dsync.platform;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.platform.outbox.OutboxRelay;
import dev.dsync.platform.testapp.CrashingCheckpoint;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.ConfigProvider;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OutboxCrashTest {

  @Inject CrashingCheckpoint crash;
  @Inject OutboxRelay relay;
  @Inject Pool pool;

  @Test
  void relay_killed_between_publish_and_mark_loses_nothing_and_the_consumer_applies_each_event_once() {
    String tenant = Tokens.newTenant();
    crash.arm();

    List<String> noteIds =
        given().auth().oauth2(Tokens.admin(tenant)).contentType(ContentType.JSON)
            .body("[{\"text\":\"one\"},{\"text\":\"two\"},{\"text\":\"three\"},{\"text\":\"four\"}]")
            .post("/api/v1/notes/batch").then().statusCode(201).extract().path("id");
    assertThat(noteIds).hasSize(4);

    try (KafkaProbe probe = new KafkaProbe("dsync.audit.records")) {
      // The relay published the batch, then died before marking it.
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.forTenant(tenant).size() >= 4);
      assertThat(crash.crashedWith()).hasSize(4);
      Set<UUID> eventIds = unpublishedEventIds(tenant);
      assertThat(eventIds).as("rows still unpublished after the crash").hasSize(4);
      assertThat(probe.forTenant(tenant).stream().map(s -> UUID.fromString(s.ceId())).collect(Collectors.toSet()))
          .isEqualTo(eventIds);

      // "Restart": the relay re-sends the same rows with the same ids and marks them.
      relay.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> unpublishedEventIds(tenant).isEmpty());
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.forTenant(tenant).size() >= 8);

      List<KafkaProbe.Seen> seen = probe.forTenant(tenant);
      assertThat(seen).hasSize(8);
      assertThat(seen.stream().map(KafkaProbe.Seen::ceId).collect(Collectors.toSet()))
          .as("a re-sent event keeps its id").hasSize(4);
      assertThat(seen).allSatisfy(s -> assertThat(s.ceType()).isEqualTo("dsync.audit.record"));
      assertThat(seen).allSatisfy(s -> assertThat(s.key()).isEqualTo(tenant));
      assertThat(seen).allSatisfy(s -> assertThat(s.value()).startsWith("{\"actor\":"));

      // The idempotent consumer applied each event exactly once despite the duplicates.
      await().atMost(Duration.ofSeconds(40)).until(() -> consumedAll(tenant, seen));
      assertThat(new HashSet<>(effects(tenant))).hasSize(4).isEqualTo(eventIds);
    }
  }

  /** True once the app's consumer group has committed past every record seen, duplicates included. */
  private boolean consumedAll(String tenant, List<KafkaProbe.Seen> seen) throws Exception {
    String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets("platform-test").partitionsToOffsetAndMetadata().get();
      return seen.stream()
          .allMatch(
              s -> {
                OffsetAndMetadata o = committed.get(new TopicPartition("dsync.audit.records", s.partition()));
                return o != null && o.offset() > s.offset();
              });
    }
  }

  private Set<UUID> unpublishedEventIds(String tenant) {
    return pool.preparedQuery(
            "select id from platform_test.outbox_event where tenant_id = $1 and published_at is null")
        .execute(Tuple.of(tenant))
        .await().indefinitely()
        .stream().map(r -> r.getUUID("id")).collect(Collectors.toSet());
  }

  private List<UUID> effects(String tenant) {
    return pool.preparedQuery("select event_id from platform_test.consumed_effect where tenant_id = $1")
        .execute(Tuple.of(tenant))
        .await().indefinitely()
        .stream().map(r -> r.getUUID("event_id")).toList();
  }
}
