package dev.dsync.webhooks;

import static dev.dsync.webhooks.Fixtures.deliveryStatus;
import static dev.dsync.webhooks.Fixtures.endpoint;
import static dev.dsync.webhooks.Fixtures.outcomes;
import static dev.dsync.webhooks.Fixtures.rows;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.standardwebhooks.Webhook;
import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.webhooks.delivery.DeliveryWorker;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class DeliveryTest {

  @Inject Pool pool;
  @Inject DeliveryWorker worker;
  @Inject MeterRegistry registry;

  private double counter(String name) {
    return registry.get(name).counter().count();
  }

  @Test
  void delivers_a_signed_standard_webhook_once_and_publishes_the_attempt() throws Exception {
    String tenant = Tokens.newTenant();
    String other = Tokens.newTenant();
    String directory = UUID.randomUUID().toString();
    try (Receiver receiver = new Receiver(); Receiver filtered = new Receiver(); Receiver otherTenants = new Receiver()) {
      var ep = endpoint(tenant, receiver.url());
      endpoint(tenant, filtered.url(), "\"eventTypes\":[\"dsync.group.created\"]");
      endpoint(other, otherTenants.url());

      UUID eventId = IdentityEvents.publish(tenant, directory, EventType.USER_CREATED);

      await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(deliveryStatus(pool, eventId, ep.id())));
      List<Receiver.Received> got = receiver.received();
      assertThat(got).hasSize(1);
      Receiver.Received request = got.get(0);
      assertThat(request.header("webhook-id")).isEqualTo(eventId.toString());
      assertThat(request.header("content-type")).isEqualTo("application/json");
      assertThat(Long.parseLong(request.header("webhook-timestamp"))).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(30L));
      assertThat(request.header("webhook-signature")).startsWith("v1,").doesNotContain(" ");
      new Webhook(ep.secret()).verify(request.body(), request.headers());

      JsonNode body = EventJson.mapper().readTree(request.body());
      assertThat(body.get("type").asText()).isEqualTo("dsync.user.created");
      assertThat(body.get("timestamp").asText()).isNotBlank();
      assertThat(body.get("data")).isEqualTo(EventJson.mapper().readTree(IdentityEvents.sample(EventType.USER_CREATED)));

      assertThat(outcomes(pool, eventId, ep.id())).containsExactly("SUCCEEDED");
      // The attempt went out on dsync.webhook.attempts through the outbox.
      await().atMost(Duration.ofSeconds(20)).until(() ->
          !rows(pool, "select 1 from webhook.outbox_event where tenant_id = $1 and type = 'dsync.webhook.attempt'"
              + " and subject = $2 and published_at is not null", tenant, eventId.toString()).isEmpty());

      // Re-sending the same event (same id) delivers nothing more.
      IdentityEvents.publish(eventId, tenant, directory, EventType.USER_CREATED, IdentityEvents.sample(EventType.USER_CREATED));
      UUID marker = IdentityEvents.publish(tenant, directory, EventType.GROUP_CREATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> filtered.received().size() == 1);
      assertThat(filtered.received().get(0).header("webhook-id")).as("filter: only group events").isEqualTo(marker.toString());
      await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received().size() == 2);
      assertThat(receiver.received().stream().map(r -> r.header("webhook-id")).toList()).containsExactly(eventId.toString(), marker.toString());
      assertThat(otherTenants.received()).as("tenant isolation").isEmpty();
    }
  }

  @Test
  void retries_on_500_then_succeeds_with_the_same_webhook_id() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver receiver = new Receiver().answer(Receiver.status(500), Receiver.status(502), Receiver.status(200))) {
      var ep = endpoint(tenant, receiver.url());
      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.USER_UPDATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(deliveryStatus(pool, eventId, ep.id())));
      assertThat(receiver.received()).hasSize(3).allSatisfy(r -> {
        assertThat(r.header("webhook-id")).isEqualTo(eventId.toString());
        new Webhook(ep.secret()).verify(r.body(), r.headers());
      });
      assertThat(outcomes(pool, eventId, ep.id())).containsExactly("RETRYING", "RETRYING", "SUCCEEDED");
      assertThat(rows(pool, "select http_status, response_body from webhook.attempt where message_id = $1 order by attempt_no", eventId)
          .get(0).getString("response_body")).contains("\"status\":500");
    }
  }

  @Test
  void retry_after_is_honoured() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver receiver =
        new Receiver().answer(new Receiver.Answer(503, Map.of("Retry-After", "2"), 0), Receiver.status(204))) {
      var ep = endpoint(tenant, receiver.url());
      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.USER_CREATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(deliveryStatus(pool, eventId, ep.id())));
      List<Receiver.Received> got = receiver.received();
      assertThat(got).hasSize(2);
      assertThat(Duration.between(got.get(0).at(), got.get(1).at()))
          .as("the schedule says 300 ms; the endpoint asked for 2 s").isGreaterThanOrEqualTo(Duration.ofMillis(1900));
    }
  }

  @Test
  void gone_disables_the_endpoint_and_says_so_in_the_audit_trail() throws Exception {
    String tenant = Tokens.newTenant();
    String directory = UUID.randomUUID().toString();
    try (Receiver receiver = new Receiver().answer(Receiver.status(410))) {
      var ep = endpoint(tenant, receiver.url());
      UUID eventId = IdentityEvents.publish(tenant, directory, EventType.USER_CREATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> "FAILED".equals(deliveryStatus(pool, eventId, ep.id())));
      assertThat(outcomes(pool, eventId, ep.id())).containsExactly("ENDPOINT_DISABLED");
      given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/webhook-endpoints/" + ep.id())
          .then().statusCode(200).body("enabled", equalTo(false)).body("disabledReason", containsString("410"));
      assertThat(rows(pool, "select payload::jsonb->'actor'->>'kind' as kind from webhook.outbox_event where tenant_id = $1"
          + " and payload::jsonb->>'action' = 'webhook_endpoint.disabled'", tenant)).singleElement()
          .satisfies(r -> assertThat(r.getString("kind")).isEqualTo("SYSTEM"));

      UUID later = IdentityEvents.publish(tenant, directory, EventType.USER_UPDATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> !rows(pool, "select 1 from webhook.message where id = $1", later).isEmpty());
      assertThat(deliveryStatus(pool, later, ep.id())).as("a disabled endpoint gets nothing new").isNull();
      assertThat(receiver.received()).hasSize(1);
    }
  }

  @Test
  void a_timeout_is_a_failure_and_is_retried() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver receiver = new Receiver().answer(Receiver.slow(200, 3000), Receiver.status(200))) {
      var ep = endpoint(tenant, receiver.url());
      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.USER_CREATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(deliveryStatus(pool, eventId, ep.id())));
      var attempts = rows(pool, "select outcome, error, latency_ms, http_status from webhook.attempt where message_id = $1 order by attempt_no", eventId);
      assertThat(attempts).hasSize(2);
      assertThat(attempts.get(0).getString("outcome")).isEqualTo("RETRYING");
      assertThat(attempts.get(0).getString("error")).contains("timeout");
      assertThat(attempts.get(0).getInteger("http_status")).isNull();
      assertThat(attempts.get(0).getLong("latency_ms")).isBetween(900L, 2500L);
      assertThat(attempts.get(1).getString("outcome")).isEqualTo("SUCCEEDED");
    }
  }

  @Test
  void a_slow_endpoint_does_not_hold_back_a_fast_one() throws Exception {
    String tenant = Tokens.newTenant();
    String directory = UUID.randomUUID().toString();
    try (Receiver slow = new Receiver().answer(Receiver.slow(200, 5000)); Receiver fast = new Receiver()) {
      endpoint(tenant, slow.url());
      endpoint(tenant, fast.url());
      long start = System.nanoTime();
      for (int i = 0; i < 30; i++) {
        IdentityEvents.publish(tenant, directory, EventType.USER_UPDATED);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> fast.received().size() == 30);
      Duration fastDone = Duration.ofNanos(System.nanoTime() - start);
      // Thirty one-second timeouts four at a time would take ~8 s; the fast endpoint did not wait.
      assertThat(fastDone).isLessThan(Duration.ofSeconds(6));
      assertThat(slow.received().size()).as("the slow endpoint's lane stays bounded").isLessThan(30);
    }
  }

  @Test
  void a_worker_crash_mid_delivery_loses_nothing_and_keeps_the_webhook_id() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver receiver = new Receiver()) {
      var ep = endpoint(tenant, receiver.url());
      receiver.holdAnswers();
      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.USER_DELETED);
      await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received().size() == 1);
      try {
        worker.stop(); // dies mid-request: the attempt is never recorded
      } finally {
        worker.start();
      }
      receiver.release();
      await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(deliveryStatus(pool, eventId, ep.id())));
      List<Receiver.Received> got = receiver.received();
      assertThat(got.size()).isGreaterThanOrEqualTo(2);
      assertThat(got.stream().map(r -> r.header("webhook-id")).collect(Collectors.toSet())).containsExactly(eventId.toString());
      for (Receiver.Received r : got) {
        new Webhook(ep.secret()).verify(r.body(), r.headers());
      }
      assertThat(got.stream().map(Receiver.Received::body).distinct()).as("the same bytes each time").hasSize(1);
      assertThat(outcomes(pool, eventId, ep.id())).endsWith("SUCCEEDED");
    }
  }

  @Test
  void during_rotation_both_secrets_sign() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver receiver = new Receiver()) {
      var ep = endpoint(tenant, receiver.url());
      String next = given().auth().oauth2(Tokens.admin(tenant)).post("/api/v1/webhook-endpoints/" + ep.id() + "/secret/rotate")
          .then().statusCode(200).extract().path("secret");
      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.GROUP_USER_ADDED);
      await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(deliveryStatus(pool, eventId, ep.id())));
      Receiver.Received r = receiver.received().get(0);
      assertThat(r.header("webhook-signature").split(" ")).hasSize(2);
      new Webhook(next).verify(r.body(), r.headers());
      new Webhook(ep.secret()).verify(r.body(), r.headers());
    }
  }

  @Test
  void new_deliveries_to_an_endpoint_with_room_are_sent_without_a_claim() throws Exception {
    String tenant = Tokens.newTenant();
    String directory = UUID.randomUUID().toString();
    try (Receiver receiver = new Receiver()) {
      var ep = endpoint(tenant, receiver.url());
      double handedOff = counter("dsync.webhook.deliveries.handed_off");
      int n = 5;
      List<UUID> ids = new java.util.ArrayList<>();
      for (int i = 0; i < n; i++) {
        ids.add(IdentityEvents.publish(tenant, directory, EventType.USER_UPDATED));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> ids.stream().allMatch(id -> "SUCCEEDED".equals(deliveryStatus(pool, id, ep.id()))));
      // Leased in the intake's own transaction and started when it committed.
      assertThat(counter("dsync.webhook.deliveries.handed_off") - handedOff).isGreaterThanOrEqualTo(n);
      assertThat(receiver.received()).hasSize(n);
    }
  }

  @Test
  void a_delivery_whose_lease_lapsed_in_the_lane_is_not_sent_then_but_claimed_again_once() throws Exception {
    String tenant = Tokens.newTenant();
    String directory = UUID.randomUUID().toString();
    int fast = 30;
    int slow = 40;
    Receiver.Answer[] script = new Receiver.Answer[fast + 1];
    java.util.Arrays.fill(script, Receiver.status(200));
    // Then half a second per answer, well within the 1 s timeout: 4 at a time, 40 take 5 s, far
    // longer than the 1.25 s a leased delivery may wait (test lease 2.5 s).
    script[fast] = Receiver.slow(200, 500);
    try (Receiver receiver = new Receiver().answer(script)) {
      var ep = endpoint(tenant, receiver.url());
      List<UUID> ids = new java.util.ArrayList<>();
      for (int i = 0; i < fast; i++) {
        ids.add(IdentityEvents.publish(tenant, directory, EventType.USER_UPDATED));
      }
      // Fast answers: the lane now queues as many as a claim brings.
      await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received().size() >= fast);
      double lapsed = counter("dsync.webhook.deliveries.lapsed");
      for (int i = 0; i < slow; i++) {
        ids.add(IdentityEvents.publish(tenant, directory, EventType.USER_UPDATED));
      }
      await().atMost(Duration.ofSeconds(90)).until(() -> ids.stream().allMatch(id -> "SUCCEEDED".equals(deliveryStatus(pool, id, ep.id()))));
      Map<String, Long> perId = receiver.received().stream().collect(Collectors.groupingBy(r -> r.header("webhook-id"), Collectors.counting()));
      assertThat(perId).hasSize(fast + slow);
      assertThat(perId.values()).as("none sent by a lapsed lease and again by its next claim").containsOnly(1L);
      assertThat(rows(pool, "select 1 from webhook.attempt where endpoint_id = $1::uuid", ep.id())).hasSize(fast + slow);
      assertThat(counter("dsync.webhook.deliveries.lapsed") - lapsed).as("some waited past their lease").isPositive();
    }
  }
}
