package dev.dsync.platform;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OutboxAppendAllTest {

  @ParameterizedTest
  @ValueSource(strings = {"appended", "appended-sql"})
  void a_long_list_goes_out_complete_and_in_order_through_multi_row_inserts(String form) {
    String tenant = Tokens.newTenant();
    int count = 237; // several full statements and a partial one
    try (KafkaProbe audit = new KafkaProbe("dsync.audit.records"); KafkaProbe state = new KafkaProbe("dsync.identity.state")) {
      given().auth().oauth2(Tokens.admin(tenant)).post("/api/v1/notes/" + form + "/" + count).then().statusCode(201);
      await().atMost(Duration.ofSeconds(30)).until(() -> audit.forTenant(tenant).size() >= count && !state.forTenant(tenant).isEmpty());
      List<KafkaProbe.Seen> seen = audit.forTenant(tenant);
      assertThat(seen).hasSize(count);
      for (int i = 0; i < count; i++) {
        assertThat(JsonPath.from(seen.get(i).value()).getInt("details.i")).as("position " + i).isEqualTo(i);
      }
      assertThat(seen).extracting(KafkaProbe.Seen::ceId).doesNotHaveDuplicates();
      assertThat(state.forTenant(tenant)).singleElement().satisfies(s -> assertThat(s.value()).isNull());
    }
  }
}
