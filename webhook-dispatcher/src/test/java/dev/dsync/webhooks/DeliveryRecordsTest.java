package dev.dsync.webhooks;

import static dev.dsync.webhooks.Fixtures.deliveryStatus;
import static dev.dsync.webhooks.Fixtures.endpoint;
import static dev.dsync.webhooks.Fixtures.outcomes;
import static dev.dsync.webhooks.Fixtures.rows;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.Topic;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** What each attempt leaves behind (records, the attempts topic, the endpoint's state) and replay by sequence. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class DeliveryRecordsTest {

  @Inject Pool pool;
  @Inject dev.dsync.webhooks.delivery.DeliveryWorker worker;

  @Test
  void each_attempt_is_published_on_the_attempts_topic() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver receiver = new Receiver().answer(Receiver.status(503), Receiver.status(200))) {
      var ep = endpoint(tenant, receiver.url());
      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.USER_CREATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(deliveryStatus(pool, eventId, ep.id())));

      List<ConsumerRecord<String, String>> mine = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = consumer()) {
        List<TopicPartition> partitions =
            consumer.partitionsFor(Topic.WEBHOOK_ATTEMPTS.topicName()).stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            if (eventId.toString().equals(header(r, "ce_subject"))) {
              mine.add(r);
            }
          }
          return mine.size() >= 2;
        });
      }
      assertThat(mine).hasSize(2).allSatisfy(r -> {
        assertThat(r.key()).as("key: the endpoint").isEqualTo(ep.id());
        assertThat(header(r, "ce_type")).isEqualTo("dsync.webhook.attempt");
        assertThat(header(r, "ce_tenantid")).isEqualTo(tenant);
      });
      JsonNode first = EventJson.mapper().readTree(mine.get(0).value());
      JsonNode second = EventJson.mapper().readTree(mine.get(1).value());
      assertThat(first.get("attempt").asInt()).isEqualTo(1);
      assertThat(first.get("outcome").asText()).isEqualTo("RETRYING");
      assertThat(first.get("httpStatus").asInt()).isEqualTo(503);
      assertThat(first.get("nextAttemptAt").isNull()).isFalse();
      assertThat(second.get("attempt").asInt()).isEqualTo(2);
      assertThat(second.get("outcome").asText()).isEqualTo("SUCCEEDED");
      assertThat(second.get("messageId").asText()).isEqualTo(eventId.toString());
      assertThat(second.get("endpointId").asText()).isEqualTo(ep.id());
      assertThat(second.get("eventType").asText()).isEqualTo("dsync.user.created");
      // The attempt's id on the topic is the attempt row's id (consumers deduplicate on it).
      assertThat(rows(pool, "select 1 from webhook.attempt where id = $1::uuid", header(mine.get(1), "ce_id"))).hasSize(1);
    }
  }

  @Test
  void deliveries_and_attempts_go_with_their_endpoint_and_with_their_message() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver a = new Receiver(); Receiver b = new Receiver()) {
      var gone = endpoint(tenant, a.url());
      var kept = endpoint(tenant, b.url());
      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.USER_CREATED);
      await().atMost(Duration.ofSeconds(20)).until(() ->
          "SUCCEEDED".equals(deliveryStatus(pool, eventId, gone.id())) && "SUCCEEDED".equals(deliveryStatus(pool, eventId, kept.id())));
      String perEndpoint = "select (select count(*) from webhook.delivery where endpoint_id = $1::uuid) as deliveries,"
          + " (select count(*) from webhook.attempt where endpoint_id = $1::uuid) as attempts";

      given().auth().oauth2(Tokens.admin(tenant)).delete("/api/v1/webhook-endpoints/" + gone.id()).then().statusCode(204);
      var left = rows(pool, perEndpoint, gone.id()).get(0);
      assertThat(left.getLong("deliveries")).isZero();
      assertThat(left.getLong("attempts")).isZero();
      var other = rows(pool, perEndpoint, kept.id()).get(0);
      assertThat(other.getLong("deliveries")).isEqualTo(1);
      assertThat(other.getLong("attempts")).isEqualTo(1);

      // Past the retention (here: everything created until now), the message goes with the rest.
      assertThat(worker.purgeMessages(java.time.Instant.now()).await().indefinitely()).isGreaterThanOrEqualTo(1);
      assertThat(rows(pool, "select 1 from webhook.message where id = $1", eventId)).isEmpty();
      other = rows(pool, perEndpoint, kept.id()).get(0);
      assertThat(other.getLong("deliveries")).isZero();
      assertThat(other.getLong("attempts")).isZero();
    }
  }

  @Test
  void the_body_is_type_event_time_and_data_exactly_as_signed() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver receiver = new Receiver()) {
      var ep = endpoint(tenant, receiver.url());
      String data = IdentityEvents.sample(EventType.GROUP_USER_ADDED);
      UUID eventId = IdentityEvents.publish(UUID.randomUUID(), tenant, UUID.randomUUID().toString(), EventType.GROUP_USER_ADDED, data, "2026-01-02T03:04:05.123456+00:00");
      await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(deliveryStatus(pool, eventId, ep.id())));
      Receiver.Received r = receiver.received().get(0);
      JsonNode body = EventJson.mapper().readTree(r.body());
      assertThat(body.size()).isEqualTo(3);
      assertThat(body.get("type").asText()).isEqualTo("dsync.group.user_added");
      assertThat(body.get("timestamp").asText()).as("the event's time, not the delivery's").isEqualTo("2026-01-02T03:04:05.123456Z");
      assertThat(body.get("data")).isEqualTo(EventJson.mapper().readTree(data));
      new Webhook(ep.secret()).verify(r.body(), r.headers());
      // The stored message is the very body that was sent.
      assertThat(rows(pool, "select payload from webhook.message where id = $1", eventId).get(0).getString("payload")).isEqualTo(r.body());
    }
  }

  @Test
  void an_endpoints_rate_limit_paces_its_deliveries() throws Exception {
    String tenant = Tokens.newTenant();
    String directory = UUID.randomUUID().toString();
    try (Receiver limited = new Receiver(); Receiver free = new Receiver()) {
      endpoint(tenant, limited.url(), "\"rateLimit\":5");
      endpoint(tenant, free.url());
      for (int i = 0; i < 15; i++) {
        IdentityEvents.publish(tenant, directory, EventType.USER_UPDATED);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> limited.received().size() == 15 && free.received().size() == 15);
      List<Receiver.Received> got = limited.received();
      // Five a second: fifteen take at least 14 intervals of 200 ms; the other endpoint is not paced.
      assertThat(Duration.between(got.get(0).at(), got.get(14).at())).isGreaterThanOrEqualTo(Duration.ofMillis(2600));
      List<Receiver.Received> unpaced = free.received();
      assertThat(Duration.between(unpaced.get(0).at(), unpaced.get(14).at())).isLessThan(Duration.ofMillis(2000));
    }
  }

  @Test
  void a_redirect_is_a_failure_not_followed_and_only_4_KiB_of_a_response_are_kept() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver elsewhere = new Receiver();
        Receiver receiver = new Receiver()) {
      receiver.answer(new Receiver.Answer(302, Map.of("Location", elsewhere.url()), 0, "x".repeat(10_000)), Receiver.status(200));
      var ep = endpoint(tenant, receiver.url());
      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.GROUP_CREATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(deliveryStatus(pool, eventId, ep.id())));
      assertThat(outcomes(pool, eventId, ep.id())).containsExactly("RETRYING", "SUCCEEDED");
      var first = rows(pool, "select http_status, response_body, error from webhook.attempt where message_id = $1 and attempt_no = 1", eventId).get(0);
      assertThat(first.getInteger("http_status")).isEqualTo(302);
      assertThat(first.getString("error")).isEqualTo("HTTP 302");
      assertThat(first.getString("response_body").getBytes(StandardCharsets.UTF_8)).hasSize(4096);
      assertThat(elsewhere.received()).as("redirects are not followed").isEmpty();
    }
  }

  @Test
  void an_endpoint_failing_for_the_disable_period_is_disabled_with_an_audit_record() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver receiver = new Receiver().answer(Receiver.status(500))) {
      var ep = endpoint(tenant, receiver.url());
      // Its run of failures began six days ago (the default period is five).
      rows(pool, "update webhook.endpoint set failing_since = now() - interval '6 days' where id = $1::uuid", ep.id());
      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.USER_UPDATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> "FAILED".equals(deliveryStatus(pool, eventId, ep.id())));
      assertThat(outcomes(pool, eventId, ep.id())).containsExactly("ENDPOINT_DISABLED");
      given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/webhook-endpoints/" + ep.id())
          .then().statusCode(200).body("enabled", equalTo(false)).body("disabledReason", containsString("failed for"));
      var audit = rows(pool, "select payload::jsonb->'actor'->>'kind' as kind, payload::jsonb->'details'->>'reason' as reason from webhook.outbox_event"
          + " where tenant_id = $1 and payload::jsonb->>'action' = 'webhook_endpoint.disabled'", tenant);
      assertThat(audit).singleElement().satisfies(r -> {
        assertThat(r.getString("kind")).isEqualTo("SYSTEM");
        assertThat(r.getString("reason")).contains("failed for");
      });

      // A young run of failures only retries.
      var young = endpoint(tenant, receiver.url());
      UUID next = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.USER_UPDATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> "FAILED".equals(deliveryStatus(pool, next, young.id())));
      assertThat(outcomes(pool, next, young.id())).containsExactly("RETRYING", "RETRYING", "RETRYING", "FAILED");
      given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/webhook-endpoints/" + young.id()).then().body("enabled", equalTo(true));
    }
  }

  @Test
  void once_the_rotation_overlap_ends_only_the_new_secret_signs() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver receiver = new Receiver()) {
      var ep = endpoint(tenant, receiver.url());
      String next = given().auth().oauth2(Tokens.admin(tenant)).post("/api/v1/webhook-endpoints/" + ep.id() + "/secret/rotate")
          .then().statusCode(200).extract().path("secret");
      rows(pool, "update webhook.endpoint set previous_secret_expires_at = now() - interval '1 second' where id = $1::uuid", ep.id());
      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.USER_CREATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(deliveryStatus(pool, eventId, ep.id())));
      Receiver.Received r = receiver.received().get(0);
      assertThat(r.header("webhook-signature").split(" ")).hasSize(1);
      new Webhook(next).verify(r.body(), r.headers());
      assertThatThrownBy(() -> new Webhook(ep.secret()).verify(r.body(), r.headers())).isInstanceOf(WebhookVerificationException.class);
    }
  }

  @Test
  void replay_from_a_sequence_and_attempts_page_with_a_cursor() throws Exception {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    String directory = UUID.randomUUID().toString();
    String sample = IdentityEvents.sample(EventType.USER_UPDATED);
    assertThat(sample).contains("\"sequence\": 42");
    try (Receiver a = new Receiver(); Receiver b = new Receiver()) {
      var epA = endpoint(tenant, a.url());
      List<UUID> events = new ArrayList<>();
      for (int seq = 10; seq <= 12; seq++) {
        events.add(IdentityEvents.publish(UUID.randomUUID(), tenant, directory, EventType.USER_UPDATED, sample.replace("\"sequence\": 42", "\"sequence\": " + seq)));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> events.stream().allMatch(id -> "SUCCEEDED".equals(deliveryStatus(pool, id, epA.id()))));

      var page1 = given().auth().oauth2(token).get("/api/v1/webhook-endpoints/" + epA.id() + "/attempts?limit=2")
          .then().statusCode(200).extract().jsonPath();
      assertThat(page1.getList("items")).hasSize(2);
      var page2 = given().auth().oauth2(token).queryParam("cursor", page1.getString("nextCursor"))
          .get("/api/v1/webhook-endpoints/" + epA.id() + "/attempts?limit=2").then().statusCode(200).extract().jsonPath();
      assertThat(page2.getList("items")).hasSize(1);
      assertThat(page2.getString("nextCursor")).isNull();
      List<String> seen = new ArrayList<>(page1.getList("items.messageId", String.class));
      seen.addAll(page2.getList("items.messageId", String.class));
      assertThat(seen).containsExactlyInAnyOrderElementsOf(events.stream().map(UUID::toString).toList());

      var epB = endpoint(tenant, b.url());
      given().auth().oauth2(token).contentType(ContentType.JSON).body("{\"directoryId\":\"" + directory + "\",\"fromSequence\":11}")
          .post("/api/v1/webhook-endpoints/" + epB.id() + "/replay")
          .then().statusCode(202).body("scheduled", equalTo(2));
      await().atMost(Duration.ofSeconds(20)).until(() -> b.received().size() == 2);
      assertThat(b.received().stream().map(r -> r.header("webhook-id")).toList())
          .containsExactlyInAnyOrder(events.get(1).toString(), events.get(2).toString());
      // Replaying again schedules nothing new: the endpoint already has those messages.
      given().auth().oauth2(token).contentType(ContentType.JSON).body("{\"directoryId\":\"" + directory + "\",\"fromSequence\":11}")
          .post("/api/v1/webhook-endpoints/" + epB.id() + "/replay")
          .then().statusCode(202).body("scheduled", equalTo(0));
    }
  }

  private static KafkaConsumer<String, String> consumer() {
    String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    return new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(),
        new StringDeserializer());
  }

  private static String header(ConsumerRecord<String, String> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
