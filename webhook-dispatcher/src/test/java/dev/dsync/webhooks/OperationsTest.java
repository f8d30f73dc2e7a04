package dev.dsync.webhooks;

import static dev.dsync.webhooks.Fixtures.deliveryStatus;
import static dev.dsync.webhooks.Fixtures.endpoint;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import com.standardwebhooks.Webhook;
import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventType;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OperationsTest {

  @Inject Pool pool;

  @Test
  void list_redeliver_replay_and_test_event() throws Exception {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    String directory = UUID.randomUUID().toString();
    String since = Instant.now().minusSeconds(5).toString();
    try (Receiver a = new Receiver(); Receiver b = new Receiver()) {
      var epA = endpoint(tenant, a.url());
      List<UUID> events = new ArrayList<>();
      for (EventType type : List.of(EventType.USER_CREATED, EventType.GROUP_CREATED, EventType.GROUP_USER_ADDED)) {
        events.add(IdentityEvents.publish(tenant, directory, type));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> events.stream().allMatch(id -> "SUCCEEDED".equals(deliveryStatus(pool, id, epA.id()))));

      // Messages, newest first, two to a page.
      var first = given().auth().oauth2(token).get("/api/v1/messages?limit=2").then().statusCode(200).extract().jsonPath();
      assertThat(first.getList("items.id", String.class)).containsExactly(events.get(2).toString(), events.get(1).toString());
      var second = given().auth().oauth2(token).queryParam("cursor", first.getString("nextCursor")).get("/api/v1/messages?limit=2")
          .then().statusCode(200).extract().jsonPath();
      assertThat(second.getList("items.id", String.class)).containsExactly(events.get(0).toString());
      assertThat(second.getString("nextCursor")).isNull();
      given().auth().oauth2(token).get("/api/v1/messages?type=dsync.group.created").then().body("items.size()", equalTo(1));
      given().auth().oauth2(token).get("/api/v1/messages/" + events.get(0))
          .then().statusCode(200).body("payload.type", equalTo("dsync.user.created"))
          .body("deliveries[0].status", equalTo("SUCCEEDED")).body("deliveries[0].endpointId", equalTo(epA.id()));
      given().auth().oauth2(token).get("/api/v1/webhook-endpoints/" + epA.id() + "/messages?status=SUCCEEDED&type=dsync.user.created")
          .then().statusCode(200).body("items.size()", equalTo(1)).body("items[0].messageId", equalTo(events.get(0).toString()));
      given().auth().oauth2(token).get("/api/v1/webhook-endpoints/" + epA.id() + "/attempts?outcome=SUCCEEDED")
          .then().statusCode(200).body("items.size()", equalTo(3)).body("items[0].httpStatus", equalTo(200));
      given().auth().oauth2(token).get("/api/v1/webhook-endpoints/" + epA.id() + "/messages?status=bogus").then().statusCode(400);

      // Another tenant sees none of it.
      String other = Tokens.admin(Tokens.newTenant());
      given().auth().oauth2(other).get("/api/v1/messages/" + events.get(0)).then().statusCode(404);
      given().auth().oauth2(other).get("/api/v1/messages").then().body("items.size()", equalTo(0));
      given().auth().oauth2(other).post("/api/v1/webhook-endpoints/" + epA.id() + "/messages/" + events.get(0) + "/redeliver").then().statusCode(404);

      // Redeliver one message: same webhook-id, same bytes.
      given().auth().oauth2(token).post("/api/v1/webhook-endpoints/" + epA.id() + "/messages/" + events.get(0) + "/redeliver")
          .then().statusCode(202);
      await().atMost(Duration.ofSeconds(20)).until(() -> a.received().size() == 4);
      assertThat(a.received().get(3).header("webhook-id")).isEqualTo(events.get(0).toString());
      assertThat(a.received().get(3).body()).isEqualTo(a.received().stream()
          .filter(r -> r.header("webhook-id").equals(events.get(0).toString())).findFirst().orElseThrow().body());

      // Backfill a new endpoint with the directory's events.
      var epB = endpoint(tenant, b.url(), "\"eventTypes\":[\"dsync.user.created\",\"dsync.group.created\"]");
      given().auth().oauth2(token).contentType(ContentType.JSON).body("{\"directoryId\":\"" + directory + "\",\"since\":\"" + since + "\"}")
          .post("/api/v1/webhook-endpoints/" + epB.id() + "/replay")
          .then().statusCode(202).body("scheduled", equalTo(2));
      await().atMost(Duration.ofSeconds(20)).until(() -> b.received().size() == 2);
      assertThat(b.received().stream().map(r -> r.header("webhook-id")).toList())
          .containsExactlyInAnyOrder(events.get(0).toString(), events.get(1).toString());
      for (Receiver.Received r : b.received()) {
        new Webhook(epB.secret()).verify(r.body(), r.headers());
      }

      // A test event goes to that endpoint only.
      String testId = given().auth().oauth2(token).post("/api/v1/webhook-endpoints/" + epB.id() + "/test")
          .then().statusCode(202).extract().path("messageId");
      await().atMost(Duration.ofSeconds(20)).until(() -> b.received().size() == 3);
      assertThat(b.received().get(2).header("webhook-id")).isEqualTo(testId);
      assertThat(b.received().get(2).body()).contains("\"type\":\"dsync.webhook.test\"");
      assertThat(a.received()).hasSize(4);
    }
  }

  @Test
  void failed_messages_can_be_redelivered_in_bulk() throws Exception {
    String tenant = Tokens.newTenant();
    String since = Instant.now().minusSeconds(5).toString();
    try (Receiver down = new Receiver().answer(Receiver.status(500))) {
      var ep = endpoint(tenant, down.url());
      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.USER_CREATED);
      await().atMost(Duration.ofSeconds(20)).until(() -> "FAILED".equals(deliveryStatus(pool, eventId, ep.id())));
      assertThat(down.received()).as("the whole test schedule").hasSize(4);

      down.answer(Receiver.status(200));
      given().auth().oauth2(Tokens.admin(tenant)).contentType(ContentType.JSON).body("{\"since\":\"" + since + "\"}")
          .post("/api/v1/webhook-endpoints/" + ep.id() + "/redeliver-failed")
          .then().statusCode(202).body("scheduled", equalTo(1));
      await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(deliveryStatus(pool, eventId, ep.id())));
      assertThat(Fixtures.outcomes(pool, eventId, ep.id()))
          .containsExactly("RETRYING", "RETRYING", "RETRYING", "FAILED", "SUCCEEDED");
    }
  }
}
