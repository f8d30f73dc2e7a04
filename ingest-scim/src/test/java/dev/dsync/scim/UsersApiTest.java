package dev.dsync.scim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class UsersApiTest {

  static final String USER = """
      {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
       "userName":"Barbara.Jensen@example.com","externalId":"00u1","name":{"givenName":"Barbara","familyName":"Jensen"},
       "displayName":"Babs","active":true,"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@home.example","type":"home"}],
       "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Finance","manager":{"value":"m-1"}},
       "urn:example:custom:1.0:User":{"badge":"42"}}
      """;

  @Test
  void create_get_filter_patch_put_delete() {
    ScimTestSupport.Dir dir = ScimTestSupport.newDirectory();
    String id = dir.scim().body(USER).post("/Users").then().statusCode(201)
        .header("Location", containsString("/scim/v2/" + dir.id() + "/Users/"))
        .header("ETag", equalTo("W/\"1\""))
        .body("userName", equalTo("Barbara.Jensen@example.com"))
        .body("meta.resourceType", equalTo("User"))
        .body("schemas", hasItem("urn:example:custom:1.0:User"))
        .body("'urn:example:custom:1.0:User'.badge", equalTo("42"))
        .extract().path("id");

    dir.scim().get("/Users/" + id).then().statusCode(200).body("name.familyName", equalTo("Jensen"));
    dir.scim().header("If-None-Match", "W/\"1\"").get("/Users/" + id).then().statusCode(304);

    // userName is unique case-insensitively.
    dir.scim().body(USER.replace("Barbara.Jensen", "barbara.jensen")).post("/Users").then().statusCode(409)
        .body("scimType", equalTo("uniqueness")).body("status", equalTo("409"));

    dir.scim().queryParam("filter", "userName eq \"BARBARA.jensen@example.com\"").get("/Users").then().statusCode(200)
        .body("totalResults", equalTo(1)).body("Resources[0].id", equalTo(id)).body("itemsPerPage", equalTo(1)).body("startIndex", equalTo(1));
    dir.scim().queryParam("filter", "emails[type eq \"work\" and primary eq true]").get("/Users").then().body("totalResults", equalTo(1));
    dir.scim().queryParam("filter", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"finance\"").get("/Users").then().body("totalResults", equalTo(1));
    dir.scim().queryParam("filter", "name.givenName sw \"bar\" and not (active eq false)").get("/Users").then().body("totalResults", equalTo(1));
    dir.scim().queryParam("filter", "meta.lastModified gt \"2000-01-01T00:00:00Z\"").get("/Users").then().body("totalResults", equalTo(1));
    dir.scim().queryParam("filter", "userName eq").get("/Users").then().statusCode(400).body("scimType", equalTo("invalidFilter"));

    dir.scim().body("""
        {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}
        """).patch("/Users/" + id).then().statusCode(200).body("active", equalTo(false)).header("ETag", equalTo("W/\"2\""));
    dir.scim().header("If-Match", "W/\"1\"").body("""
        {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"x"}]}
        """).patch("/Users/" + id).then().statusCode(412);
    // Deactivated users stay readable.
    dir.scim().get("/Users/" + id).then().statusCode(200).body("active", equalTo(false)).body("displayName", equalTo("Babs"));

    dir.scim().body("{\"userName\":\"bjensen2\",\"active\":true}").put("/Users/" + id).then().statusCode(200)
        .body("userName", equalTo("bjensen2")).body("name", org.hamcrest.Matchers.nullValue());

    dir.scim().delete("/Users/" + id).then().statusCode(204);
    dir.scim().get("/Users/" + id).then().statusCode(404).body("schemas[0]", equalTo("urn:ietf:params:scim:api:messages:2.0:Error"));
  }

  @Test
  void a_token_opens_only_its_own_directory() {
    ScimTestSupport.Dir a = ScimTestSupport.newDirectory();
    ScimTestSupport.Dir b = ScimTestSupport.newDirectory();
    String id = a.scim().body(USER).post("/Users").then().statusCode(201).extract().path("id");
    io.restassured.RestAssured.given().auth().oauth2(b.token()).get("/scim/v2/" + a.id() + "/Users/" + id).then().statusCode(401);
    io.restassured.RestAssured.given().auth().oauth2(b.token()).get("/scim/v2/" + a.id() + "/Users").then().statusCode(401);
    b.scim().get("/Users/" + id).then().statusCode(404);
    io.restassured.RestAssured.given().get("/scim/v2/" + a.id() + "/Users").then().statusCode(401)
        .contentType(containsString("application/scim+json")).body("status", equalTo("401"));
    io.restassured.RestAssured.given().auth().oauth2("dsync_scim_nope").get("/scim/v2/" + a.id() + "/Users").then().statusCode(401);
  }

  @Test
  void admin_api_is_tenant_scoped_and_tokens_rotate() {
    ScimTestSupport.Dir a = ScimTestSupport.newDirectory();
    String other = ScimTestSupport.adminToken(ScimTestSupport.newTenant());
    io.restassured.RestAssured.given().auth().oauth2(other).get("/api/v1/scim-directories/" + a.id()).then().statusCode(404);
    io.restassured.RestAssured.given().auth().oauth2(other).delete("/api/v1/scim-directories/" + a.id()).then().statusCode(404);
    io.restassured.RestAssured.given().auth().oauth2(other).contentType("application/json").body("{}")
        .post("/api/v1/scim-directories/" + a.id() + "/tokens").then().statusCode(404);

    String admin = ScimTestSupport.adminToken(a.tenant());
    var created = io.restassured.RestAssured.given().auth().oauth2(admin).contentType("application/json").body("{}")
        .post("/api/v1/scim-directories/" + a.id() + "/tokens").then().statusCode(201).body("token", notNullValue()).extract();
    String second = created.path("token");
    // Overlap: both tokens work.
    a.scim().get("/Users").then().statusCode(200);
    io.restassured.RestAssured.given().auth().oauth2(second).get("/scim/v2/" + a.id() + "/Users").then().statusCode(200);
    var tokens = io.restassured.RestAssured.given().auth().oauth2(admin).get("/api/v1/scim-directories/" + a.id() + "/tokens")
        .then().statusCode(200).extract().jsonPath();
    assertThat(tokens.getList("id")).hasSize(2);
    assertThat(tokens.getString("")).doesNotContain(second);
    String firstId = tokens.getList("id", String.class).stream().filter(t -> !t.equals(created.path("id"))).findFirst().orElseThrow();
    io.restassured.RestAssured.given().auth().oauth2(admin).delete("/api/v1/scim-directories/" + a.id() + "/tokens/" + firstId).then().statusCode(204);
    a.scim().get("/Users").then().statusCode(401);
    io.restassured.RestAssured.given().auth().oauth2(second).get("/scim/v2/" + a.id() + "/Users").then().statusCode(200);

    // An inactive directory refuses SCIM calls with a SCIM error.
    io.restassured.RestAssured.given().auth().oauth2(admin).contentType("application/json").body("{\"state\":\"INACTIVE\"}")
        .patch("/api/v1/scim-directories/" + a.id()).then().statusCode(200).body("state", equalTo("INACTIVE"));
    io.restassured.RestAssured.given().auth().oauth2(second).get("/scim/v2/" + a.id() + "/Users").then().statusCode(403)
        .body("schemas[0]", equalTo("urn:ietf:params:scim:api:messages:2.0:Error"));
  }

  @Test
  void a_user_lists_the_groups_of_its_own_directory_only() {
    ScimTestSupport.Dir a = ScimTestSupport.newDirectory();
    ScimTestSupport.Dir b = ScimTestSupport.newDirectory();
    String user = a.scim().body("{\"userName\":\"grouped@example.com\"}").post("/Users").then().statusCode(201).extract().path("id");
    String own = a.scim().body("{\"displayName\":\"Zeta\",\"members\":[{\"value\":\"" + user + "\"}]}").post("/Groups")
        .then().statusCode(201).extract().path("id");
    String own2 = a.scim().body("{\"displayName\":\"Alpha\",\"members\":[{\"value\":\"" + user + "\"}]}").post("/Groups")
        .then().statusCode(201).extract().path("id");
    // Member values are free text: another directory's group may name this user's id.
    b.scim().body("{\"displayName\":\"Foreign\",\"members\":[{\"value\":\"" + user + "\"}]}").post("/Groups").then().statusCode(201);

    a.scim().get("/Users/" + user).then().statusCode(200)
        .body("groups.value", org.hamcrest.Matchers.contains(own2, own))
        .body("groups.display", org.hamcrest.Matchers.contains("Alpha", "Zeta"))
        .body("groups[0].type", equalTo("direct"))
        .body("groups[0].$ref", containsString("/scim/v2/" + a.id() + "/Groups/" + own2));
    a.scim().queryParam("filter", "userName eq \"grouped@example.com\"").get("/Users").then().statusCode(200)
        .body("Resources[0].groups.display", org.hamcrest.Matchers.contains("Alpha", "Zeta"));
    a.scim().queryParam("excludedAttributes", "groups").get("/Users/" + user).then().statusCode(200)
        .body("groups", org.hamcrest.Matchers.nullValue());
  }

  @Test
  void list_pages_report_the_total_whatever_page_is_asked() {
    ScimTestSupport.Dir dir = ScimTestSupport.newDirectory();
    for (int i = 0; i < 5; i++) {
      dir.scim().body("{\"userName\":\"page" + i + "@example.com\"}").post("/Users").then().statusCode(201);
    }
    // Full pages, a short last page, a page past the end, no page at all, and a filter with one match.
    int[][] cases = {{1, 2, 2}, {3, 2, 2}, {5, 2, 1}, {6, 2, 0}, {9, 2, 0}, {1, 5, 5}, {1, 10, 5}, {2, 10, 4}, {1, 0, 0}};
    for (int[] c : cases) {
      dir.scim().queryParam("startIndex", c[0]).queryParam("count", c[1]).get("/Users").then().statusCode(200)
          .body("totalResults", equalTo(5)).body("itemsPerPage", equalTo(c[2])).body("startIndex", equalTo(c[0]));
    }
    dir.scim().queryParam("filter", "userName eq \"page3@example.com\"").get("/Users").then().statusCode(200)
        .body("totalResults", equalTo(1)).body("Resources[0].userName", equalTo("page3@example.com"));
    dir.scim().queryParam("filter", "userName eq \"nobody@example.com\"").get("/Users").then().statusCode(200)
        .body("totalResults", equalTo(0)).body("itemsPerPage", equalTo(0));
  }
}
