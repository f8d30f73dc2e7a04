package dev.dsync.scim;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * A request within the body limit whose event would pass Kafka's 1 MB record limit is refused with
 * a SCIM error and leaves nothing behind, instead of being acknowledged and then holding up the
 * outbox relay (which retried such a row forever).
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OversizedEventTest {

  @Test
  void a_user_whose_event_would_be_too_large_for_kafka_gets_413_and_is_not_created() {
    ScimTestSupport.Dir dir = ScimTestSupport.newDirectory();
    String body = "{\"userName\":\"big@example.com\",\"title\":\"" + "t".repeat(1_000_000) + "\"}";
    dir.scim().body(body).post("/Users").then().statusCode(413)
        .body("schemas", hasItem("urn:ietf:params:scim:api:messages:2.0:Error")).body("status", equalTo("413"));
    dir.scim().queryParam("filter", "userName eq \"big@example.com\"").get("/Users").then().statusCode(200).body("totalResults", equalTo(0));
    dir.scim().body("{\"userName\":\"small@example.com\"}").post("/Users").then().statusCode(201);
  }
}
