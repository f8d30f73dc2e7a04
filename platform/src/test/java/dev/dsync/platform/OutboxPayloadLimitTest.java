package dev.dsync.platform;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** An event larger than Kafka takes is refused when appended: the write fails with 413 and leaves nothing. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OutboxPayloadLimitTest {

  @Test
  void an_event_too_large_to_publish_fails_its_write_with_413_and_changes_nothing() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (KafkaProbe audit = new KafkaProbe("dsync.audit.records")) {
      given().auth().oauth2(token).contentType(ContentType.JSON).body("{\"text\":\"too big\"}")
          .post("/api/v1/notes/padded/5000")
          .then().statusCode(413).contentType("application/problem+json").body("detail", containsString("at most 4000"));
      given().auth().oauth2(token).contentType(ContentType.JSON).body("{\"text\":\"fits\"}")
          .post("/api/v1/notes/padded/1000").then().statusCode(201);

      assertThat(given().auth().oauth2(token).get("/api/v1/notes").then().statusCode(200).extract().jsonPath().getList("text"))
          .containsExactly("fits");
      // The relay goes on: the later, smaller write's events are published (the note's and the padded one).
      await().atMost(Duration.ofSeconds(30)).until(() -> audit.forTenant(tenant).size() >= 2);
      assertThat(audit.forTenant(tenant)).allSatisfy(s -> assertThat(s.value()).doesNotContain("too big"));
    }
  }
}
