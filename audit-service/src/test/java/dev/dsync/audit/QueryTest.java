package dev.dsync.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryTest {

  private final String tenant = Tokens.newTenant();

  @BeforeAll
  void seed() {
    Seed.auditRecords(tenant, 12);
  }

  @Test
  void pages_are_newest_first_and_the_cursor_walks_every_record_once() {
    List<Integer> positions = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      var request = given().auth().oauth2(Tokens.admin(tenant)).queryParam("limit", 5);
      if (cursor != null) {
        request.queryParam("cursor", cursor);
      }
      Response page = request.get("/api/v1/audit/records").then().statusCode(200).extract().response();
      positions.addAll(page.path("items.position"));
      cursor = page.path("nextCursor");
      pages++;
    } while (cursor != null);
    assertThat(pages).isEqualTo(3);
    assertThat(positions).containsExactly(12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
  }

  @Test
  void records_carry_actor_action_entity_outcome_correlation_and_hashes() {
    given().auth().oauth2(Tokens.admin(tenant)).queryParam("limit", 1).get("/api/v1/audit/records")
        .then().statusCode(200)
        .body("items[0].position", equalTo(12))
        .body("items[0].actor.kind", equalTo("ADMIN"))
        .body("items[0].action", equalTo("rule.updated"))
        .body("items[0].entity.type", equalTo("rule"))
        .body("items[0].entity.id", equalTo("rule-11"))
        .body("items[0].correlation.eventId", notNullValue())
        .body("items[0].correlation.traceId", equalTo("4bf92f3577b34da6a3ce929d0e0e4736"))
        .body("items[0].data.details.i", equalTo(11))
        .body("items[0].hash", notNullValue())
        .body("items[0].previousHash", notNullValue());
  }

  @Test
  void filters_narrow_the_records() {
    count("actor", "admin-1", 4);
    count("outcome", "FAILURE", 2);
    count("outcome", "SUCCESS", 10);
    count("directoryId", "dir-0", 6);
    count("entityId", "rule-3", 1);
    count("action", "rule.updated", 12);
    count("eventType", "dsync.audit.record", 12);
    count("from", "2999-01-01T00:00:00Z", 0);
    count("to", "2000-01-01T00:00:00Z", 0);
    given().auth().oauth2(Tokens.admin(tenant))
        .queryParam("actor", "admin-1").queryParam("outcome", "FAILURE").queryParam("limit", 500)
        .get("/api/v1/audit/records")
        .then().statusCode(200).body("items", hasSize(1)).body("items.entity.id", everyItem(equalTo("rule-4")));
  }

  @Test
  void bad_parameters_are_400_problems() {
    bad("limit", "0", "limit");
    bad("limit", "501", "limit");
    bad("outcome", "MAYBE", "outcome");
    bad("from", "last tuesday", "from");
    given().auth().oauth2(Tokens.admin(tenant)).queryParam("cursor", "not-a-cursor").get("/api/v1/audit/records")
        .then().statusCode(400).contentType("application/problem+json");
  }

  @Test
  void another_tenant_sees_nothing_of_this_tenants_trail() {
    String other = Tokens.newTenant();
    given().auth().oauth2(Tokens.admin(other)).get("/api/v1/audit/records")
        .then().statusCode(200).body("items", hasSize(0)).body("nextCursor", nullValue());
    given().auth().oauth2(Tokens.admin(other)).queryParam("entityId", "rule-3").get("/api/v1/audit/records")
        .then().statusCode(200).body("items", hasSize(0));
    // A cursor from this tenant's pages does not open them for another tenant.
    String cursor =
        given().auth().oauth2(Tokens.admin(tenant)).queryParam("limit", 2).get("/api/v1/audit/records")
            .then().statusCode(200).extract().path("nextCursor");
    given().auth().oauth2(Tokens.admin(other)).queryParam("cursor", cursor).get("/api/v1/audit/records")
        .then().statusCode(200).body("items", hasSize(0));
    String export =
        given().auth().oauth2(Tokens.admin(other)).get("/api/v1/audit/export").then().statusCode(200).extract().asString();
    assertThat(export).isBlank();
    given().auth().oauth2(Tokens.admin(other)).get("/api/v1/audit/verify")
        .then().statusCode(200).body("valid", equalTo(true)).body("headPosition", equalTo(0)).body("checkedRecords", equalTo(0));
  }

  @Test
  void the_api_needs_a_tenant_admin_token() {
    given().get("/api/v1/audit/records").then().statusCode(401).contentType("application/problem+json");
    given().auth().oauth2(Tokens.withRoles(tenant, "viewer")).get("/api/v1/audit/records")
        .then().statusCode(403).contentType("application/problem+json");
    given().auth().oauth2(Tokens.withRoles(tenant, "viewer")).get("/api/v1/audit/export").then().statusCode(403);
    given().auth().oauth2(Tokens.withRoles(tenant, "viewer")).get("/api/v1/audit/verify").then().statusCode(403);
  }

  private void count(String param, String value, int expected) {
    given().auth().oauth2(Tokens.admin(tenant)).queryParam(param, value).queryParam("limit", 500)
        .get("/api/v1/audit/records")
        .then().statusCode(200).body("items", hasSize(expected));
  }

  private void bad(String param, String value, String field) {
    given().auth().oauth2(Tokens.admin(tenant)).queryParam(param, value).get("/api/v1/audit/records")
        .then().statusCode(400).contentType("application/problem+json").body("errors[0].field", equalTo(field));
  }
}
