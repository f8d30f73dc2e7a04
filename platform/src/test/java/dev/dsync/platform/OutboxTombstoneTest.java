package dev.dsync.platform;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OutboxTombstoneTest {

  @Test
  void a_tombstone_goes_out_as_a_null_value_with_its_key_and_headers() {
    String tenant = Tokens.newTenant();
    String id = given().auth().oauth2(Tokens.admin(tenant)).contentType(ContentType.JSON).body("{\"text\":\"soon gone\"}")
        .post("/api/v1/notes").then().statusCode(201).extract().path("id");
    given().auth().oauth2(Tokens.admin(tenant)).delete("/api/v1/notes/" + id).then().statusCode(204);

    try (KafkaProbe probe = new KafkaProbe("dsync.identity.state")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> !probe.forTenant(tenant).isEmpty());
      List<KafkaProbe.Seen> seen = probe.forTenant(tenant);
      assertThat(seen).hasSize(1);
      assertThat(seen.get(0).key()).isEqualTo(tenant + ":" + id);
      assertThat(seen.get(0).value()).isNull();
      assertThat(seen.get(0).ceType()).isEqualTo("dsync.identity.state");
      assertThat(seen.get(0).ceId()).isNotBlank();
    }
  }
}
