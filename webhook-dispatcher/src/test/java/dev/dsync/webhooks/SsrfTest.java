package dev.dsync.webhooks;

import static dev.dsync.webhooks.Fixtures.rows;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventType;
import dev.dsync.webhooks.endpoints.EndpointService;
import dev.dsync.webhooks.security.SecretBox;
import dev.dsync.webhooks.signing.WebhookSecret;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(NoPrivateTargetsProfile.class)
@QuarkusTestResource(DevstackTestResource.class)
class SsrfTest {

  @Inject Pool pool;
  @Inject SecretBox box;

  @Test
  void private_loopback_link_local_and_metadata_targets_are_refused() {
    String tenant = Tokens.newTenant();
    for (String url :
        List.of(
            "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.7/hook", "http://192.168.1.1/hook", "http://[::1]/hook", "http://[fd00:ec2::254]/x",
            "http://0.0.0.0/hook", "http://[::ffff:127.0.0.1]/hook")) {
      given().auth().oauth2(Tokens.admin(tenant)).contentType(ContentType.JSON).body("{\"url\":\"" + url + "\"}")
          .post("/api/v1/webhook-endpoints")
          .then().statusCode(400).contentType("application/problem+json")
          .body("errors[0].field", equalTo("url")).body("errors[0].message", containsString("address"));
    }
    given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/webhook-endpoints").then().body("items.size()", equalTo(0));
    // A public address is fine (nothing is sent to it here).
    given().auth().oauth2(Tokens.admin(tenant)).contentType(ContentType.JSON).body("{\"url\":\"http://93.184.216.34/hook\",\"enabled\":false}")
        .post("/api/v1/webhook-endpoints").then().statusCode(201);
  }

  @Test
  void the_check_is_repeated_at_delivery_time() throws Exception {
    String tenant = Tokens.newTenant();
    try (Receiver receiver = new Receiver()) {
      // As if the host had resolved to a public address when saved and was re-pointed at loopback
      // since (DNS rebinding): the row exists, the delivery must still be refused.
      UUID id = UUID.randomUUID();
      byte[] sealed = box.encrypt(WebhookSecret.generate(32).key(), EndpointService.sealedFor(id));
      pool.preparedQuery(
              "insert into webhook.endpoint (id, tenant_id, url, enabled, secret, created_at, updated_at)"
                  + " values ($1, $2, $3, true, $4, now(), now())")
          .execute(Tuple.of(id, tenant, receiver.url(), io.vertx.core.buffer.Buffer.buffer(sealed)))
          .await().indefinitely();

      UUID eventId = IdentityEvents.publish(tenant, UUID.randomUUID().toString(), EventType.USER_CREATED);
      await().atMost(Duration.ofSeconds(20)).until(() ->
          !rows(pool, "select 1 from webhook.attempt where message_id = $1", eventId).isEmpty());
      var attempt = rows(pool, "select error, http_status from webhook.attempt where message_id = $1 order by attempt_no", eventId).get(0);
      assertThat(attempt.getString("error")).startsWith("refused").contains("loopback");
      assertThat(attempt.getInteger("http_status")).isNull();
      assertThat(receiver.received()).isEmpty();
    }
  }
}
