package dev.dsync.platform;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class TenantIsolationTest {

  @Test
  void a_tenant_cannot_read_or_change_another_tenants_data() {
    String a = Tokens.newTenant();
    String b = Tokens.newTenant();
    String id =
        given().auth().oauth2(Tokens.admin(a)).contentType(ContentType.JSON).body("{\"text\":\"A's secret\"}")
            .post("/api/v1/notes").then().statusCode(201).extract().path("id");

    given().auth().oauth2(Tokens.admin(a)).get("/api/v1/notes/" + id).then().statusCode(200).body("text", equalTo("A's secret"));

    given().auth().oauth2(Tokens.admin(b)).get("/api/v1/notes/" + id)
        .then().statusCode(404).contentType("application/problem+json").body("status", equalTo(404));
    given().auth().oauth2(Tokens.admin(b)).get("/api/v1/notes")
        .then().statusCode(200).body("id", not(hasItem(id)));
    given().auth().oauth2(Tokens.admin(b)).delete("/api/v1/notes/" + id).then().statusCode(404);

    // B's failed delete changed nothing.
    given().auth().oauth2(Tokens.admin(a)).get("/api/v1/notes/" + id).then().statusCode(200);
    given().auth().oauth2(Tokens.admin(a)).delete("/api/v1/notes/" + id).then().statusCode(204);
    given().auth().oauth2(Tokens.admin(a)).get("/api/v1/notes/" + id).then().statusCode(404);
  }

  @Test
  void missing_or_bad_credentials_are_problem_json() {
    given().get("/api/v1/notes")
        .then().statusCode(401).contentType("application/problem+json").header("WWW-Authenticate", containsString("Bearer"));
    given().auth().oauth2("not-a-jwt").get("/api/v1/notes").then().statusCode(401).contentType("application/problem+json");
    given().auth().oauth2(Tokens.withRoles(Tokens.newTenant(), "viewer")).get("/api/v1/notes")
        .then().statusCode(403).contentType("application/problem+json");
    given().auth().oauth2(Tokens.withoutTenant()).get("/api/v1/notes")
        .then().statusCode(403).contentType("application/problem+json").body("detail", containsString("tenant"));
  }

  @Test
  void invalid_input_is_400_with_field_details_and_writes_nothing() {
    String t = Tokens.newTenant();
    given().auth().oauth2(Tokens.admin(t)).contentType(ContentType.JSON).body("{\"text\":\"   \"}")
        .post("/api/v1/notes")
        .then().statusCode(400).contentType("application/problem+json")
        .body("errors[0].field", equalTo("text")).body("errors[0].message", notNullValue());
    given().auth().oauth2(Tokens.admin(t)).contentType(ContentType.JSON).body("{\"text\": ")
        .post("/api/v1/notes")
        .then().statusCode(400).contentType("application/problem+json")
        .body("detail", not(containsString("Exception"))).body("detail", not(containsString("jackson")));
    given().auth().oauth2(Tokens.admin(t)).contentType(ContentType.JSON).body("{\"text\": [1,2]}")
        .post("/api/v1/notes")
        .then().statusCode(400).contentType("application/problem+json");
    given().auth().oauth2(Tokens.admin(t)).get("/api/v1/notes/not-a-uuid").then().statusCode(404);
    given().auth().oauth2(Tokens.admin(t)).get("/api/v1/notes").then().statusCode(200).body("size()", equalTo(0));
  }

  @Test
  void health_and_metrics_are_served() {
    given().get("/q/health").then().statusCode(200).body("status", equalTo("UP"));
    given().get("/q/metrics").then().statusCode(200).body(containsString("dsync_outbox_published"));
  }
}
