package dev.dsync.webhooks;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class EndpointApiTest {

  @Inject Pool pool;

  @Test
  void endpoint_lifecycle_is_audited_and_the_secret_is_encrypted_at_rest() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    var created =
        given().auth().oauth2(token).contentType(ContentType.JSON)
            .body("{\"url\":\"http://127.0.0.1:9/hook\",\"description\":\"CRM\",\"eventTypes\":[\"dsync.user.created\"],\"rateLimit\":50}")
            .post("/api/v1/webhook-endpoints")
            .then().statusCode(201)
            .body("secret", startsWith("whsec_")).body("enabled", equalTo(true))
            .body("eventTypes[0]", equalTo("dsync.user.created")).body("rateLimit", equalTo(50))
            .extract().jsonPath();
    String id = created.getString("id");
    String secret = created.getString("secret");

    // At rest: sealed, and neither the secret nor its key bytes appear in the row.
    Row row = one("select secret, url from webhook.endpoint where id = $1::uuid", id);
    byte[] stored = row.getBuffer("secret").getBytes();
    byte[] key = Base64.getDecoder().decode(secret.substring(6));
    assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain(secret).doesNotContain(new String(key, StandardCharsets.ISO_8859_1));
    assertThat(stored.length).isGreaterThan(key.length);

    given().auth().oauth2(token).get("/api/v1/webhook-endpoints/" + id)
        .then().statusCode(200).body("secret", nullValue()).body("description", equalTo("CRM"));
    given().auth().oauth2(token).get("/api/v1/webhook-endpoints/" + id + "/secret")
        .then().statusCode(200).body("secret", equalTo(secret)).body("previousSecretExpiresAt", nullValue());

    String rotated =
        given().auth().oauth2(token).post("/api/v1/webhook-endpoints/" + id + "/secret/rotate")
            .then().statusCode(200).body("secret", startsWith("whsec_")).body("previousSecretExpiresAt", notNullValue())
            .extract().path("secret");
    assertThat(rotated).isNotEqualTo(secret);

    given().auth().oauth2(token).contentType(ContentType.JSON)
        .body("{\"url\":\"http://127.0.0.1:9/other\",\"enabled\":false}")
        .put("/api/v1/webhook-endpoints/" + id)
        .then().statusCode(200).body("url", equalTo("http://127.0.0.1:9/other")).body("enabled", equalTo(false))
        .body("eventTypes.size()", equalTo(0));
    given().auth().oauth2(token).delete("/api/v1/webhook-endpoints/" + id).then().statusCode(204);
    given().auth().oauth2(token).get("/api/v1/webhook-endpoints/" + id).then().statusCode(404);

    List<String> actions = actions(tenant);
    assertThat(actions).containsExactly(
        "webhook_endpoint.created", "webhook_endpoint.secret_viewed", "webhook_endpoint.secret_rotated",
        "webhook_endpoint.updated", "webhook_endpoint.deleted");
    assertThat(one("select string_agg(payload::text, ' ') as all from webhook.outbox_event where tenant_id = $1", tenant).getString("all"))
        .as("audit records never carry secrets").doesNotContain(secret.substring(6)).doesNotContain(rotated.substring(6));
  }

  @Test
  void a_tenant_cannot_see_or_change_another_tenants_endpoints() {
    String a = Tokens.newTenant();
    String b = Tokens.newTenant();
    String id =
        given().auth().oauth2(Tokens.admin(a)).contentType(ContentType.JSON).body("{\"url\":\"http://127.0.0.1:9/a\"}")
            .post("/api/v1/webhook-endpoints").then().statusCode(201).extract().path("id");

    given().auth().oauth2(Tokens.admin(b)).get("/api/v1/webhook-endpoints/" + id)
        .then().statusCode(404).contentType("application/problem+json");
    given().auth().oauth2(Tokens.admin(b)).get("/api/v1/webhook-endpoints/" + id + "/secret").then().statusCode(404);
    given().auth().oauth2(Tokens.admin(b)).post("/api/v1/webhook-endpoints/" + id + "/secret/rotate").then().statusCode(404);
    given().auth().oauth2(Tokens.admin(b)).contentType(ContentType.JSON).body("{\"url\":\"http://127.0.0.1:9/b\"}")
        .put("/api/v1/webhook-endpoints/" + id).then().statusCode(404);
    given().auth().oauth2(Tokens.admin(b)).delete("/api/v1/webhook-endpoints/" + id).then().statusCode(404);
    given().auth().oauth2(Tokens.admin(b)).get("/api/v1/webhook-endpoints")
        .then().statusCode(200).body("items.id", not(hasItem(id)));
    given().auth().oauth2(Tokens.admin(a)).get("/api/v1/webhook-endpoints/" + id)
        .then().statusCode(200).body("url", equalTo("http://127.0.0.1:9/a"));
    assertThat(actions(b)).isEmpty();

    given().get("/api/v1/webhook-endpoints").then().statusCode(401).contentType("application/problem+json");
    given().auth().oauth2(Tokens.withRoles(a, "viewer")).get("/api/v1/webhook-endpoints").then().statusCode(403);
  }

  @Test
  void bad_input_is_a_400_problem_and_writes_nothing() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    for (String body :
        List.of(
            "{\"url\":\"ftp://example.com/x\"}",
            "{\"url\":\"not a url\"}",
            "{\"url\":\"http://user:pw@127.0.0.1:9/x\"}",
            "{\"url\":\"http://127.0.0.1:9/x\",\"eventTypes\":[\"dsync.source.user.upserted\"]}",
            "{\"url\":\"http://127.0.0.1:9/x\",\"secret\":\"whsec_c2hvcnQ=\"}",
            "{\"url\":\"http://127.0.0.1:9/x\",\"rateLimit\":0}",
            "{\"url\":\"\"}",
            "{\"url\": [1]}",
            "{\"url\":")) {
      given().auth().oauth2(token).contentType(ContentType.JSON).body(body).post("/api/v1/webhook-endpoints")
          .then().statusCode(400).contentType("application/problem+json").body("detail", not(containsString("Exception")));
    }
    given().auth().oauth2(token).get("/api/v1/webhook-endpoints").then().statusCode(200).body("items.size()", equalTo(0));
    assertThat(actions(tenant)).isEmpty();
  }

  @Test
  void a_client_may_bring_its_own_secret_and_endpoints_page_with_a_cursor() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    String own = "whsec_" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));
    given().auth().oauth2(token).contentType(ContentType.JSON).body("{\"url\":\"http://127.0.0.1:9/own\",\"secret\":\"" + own + "\"}")
        .post("/api/v1/webhook-endpoints").then().statusCode(201).body("secret", equalTo(own));
    for (int i = 0; i < 4; i++) {
      given().auth().oauth2(token).contentType(ContentType.JSON).body("{\"url\":\"http://127.0.0.1:9/" + i + "\"}")
          .post("/api/v1/webhook-endpoints").then().statusCode(201);
    }
    var first = given().auth().oauth2(token).get("/api/v1/webhook-endpoints?limit=3").then().statusCode(200).extract().jsonPath();
    assertThat(first.getList("items")).hasSize(3);
    var second =
        given().auth().oauth2(token).queryParam("cursor", first.getString("nextCursor")).get("/api/v1/webhook-endpoints?limit=3")
            .then().statusCode(200).extract().jsonPath();
    assertThat(second.getList("items")).hasSize(2);
    assertThat(second.getString("nextCursor")).isNull();
    assertThat(second.getList("items.id", String.class)).doesNotContainAnyElementsOf(first.getList("items.id", String.class));
    given().auth().oauth2(token).get("/api/v1/webhook-endpoints?cursor=bogus").then().statusCode(400);
  }

  private List<String> actions(String tenant) {
    return pool.preparedQuery(
            "select payload::jsonb->>'action' as action from webhook.outbox_event where tenant_id = $1 and type = 'dsync.audit.record' order by seq")
        .execute(Tuple.of(tenant)).await().indefinitely()
        .stream().map(r -> r.getString("action")).toList();
  }

  private Row one(String sql, String param) {
    return pool.preparedQuery(sql).execute(Tuple.of(param)).await().indefinitely().iterator().next();
  }
}
