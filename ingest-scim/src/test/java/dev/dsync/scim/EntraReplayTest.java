package dev.dsync.scim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Microsoft Entra ID's documented requests (fixtures/scim/entra), both its default forms and the
 * aadOptscim062020 ones. Most Entra examples name resources the docs never created, so each step
 * first creates what it needs and maps the documentation's id to it.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class EntraReplayTest {

  static final String ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

  @Test
  void test_connection_discovery_and_user_provisioning() {
    ScimTestSupport.Dir dir = ScimTestSupport.newDirectory();
    Map<String, String> ids = new HashMap<>();

    Fixture.load("entra/01-test-connection-user-query-zero-results").replay(dir, ids).then().statusCode(200).body("totalResults", is(0));
    Fixture.load("entra/02-schema-discovery").replay(dir, ids).then().statusCode(200)
        .body("Resources.id", hasItems("urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, "urn:ietf:params:scim:schemas:core:2.0:Group"));

    // 03 sends an unquoted value (externalId eq jyoung): accepted, nothing matches yet.
    Fixture.load("entra/03-query-user-by-externalid").replay(dir, ids).then().statusCode(200).body("totalResults", is(0));
    // 04: a malformed extension URN in schemas and top-level nulls: created, the nulls ignored.
    Fixture.load("entra/04-create-user-jyoung").replay(dir, ids).then().statusCode(201)
        .body("userName", equalTo("jyoung@testuser.com")).body("department", nullValue()).body("phoneNumbers", nullValue());
    Fixture.load("entra/03-query-user-by-externalid").replay(dir, ids).then().statusCode(200).body("totalResults", is(1))
        .body("Resources[0].externalId", equalTo("jyoung"));

    Fixture create = Fixture.load("entra/05-create-user");
    JsonPath created = create.replay(dir, ids).then().statusCode(201).extract().jsonPath();
    ids.put(create.responseBody().get("id").asText(), created.getString("id"));
    assertThat(created.getString("userName")).isEqualTo(create.responseBody().get("userName").asText());
    assertThat(created.getString("externalId")).isEqualTo(create.responseBody().get("externalId").asText());

    Fixture.load("entra/06-get-user-by-username").replay(dir, ids).then().statusCode(200).body("totalResults", is(1))
        .body("Resources[0].id", equalTo(created.getString("id")));

    // 07 reads a user the docs created elsewhere: create it, then read it.
    Fixture get = Fixture.load("entra/07-get-user");
    // (Its documented userName is 05's, which now exists: the seed takes another.)
    String seeded = seedUser(dir, ids, get.path().substring("/Users/".length()), "seed07@testuser.com");
    get.replay(dir, ids).then().statusCode(200).body("id", equalTo(seeded)).body("meta.resourceType", equalTo("User"));

    // 08: an unknown id is a SCIM 404 with status as a string.
    Fixture.load("entra/08-get-user-not-found").replay(dir, ids).then().statusCode(404)
        .body("schemas", hasItem("urn:ietf:params:scim:api:messages:2.0:Error")).body("status", equalTo("404"));
  }

  @Test
  void patch_forms_old_and_new() {
    ScimTestSupport.Dir dir = ScimTestSupport.newDirectory();
    Map<String, String> ids = new HashMap<>();

    Fixture current = Fixture.load("entra/09-get-user-current-state");
    String docId = current.path().substring("/Users/".length());
    String id = seedUser(dir, ids, docId, "state@testuser.com");
    current.replay(dir, ids).then().statusCode(200).body("id", equalTo(id));

    // 11: manager as Add on path "manager" with an array value: lands in the enterprise extension.
    Fixture.load("entra/11-patch-user-add-manager").replay(dir, ids).then().statusCode(200)
        .body("'" + ENTERPRISE + "'.manager.value", equalTo("00aa00aa-bb11-cc22-dd33-44ee44ee44ee"))
        .body("schemas", hasItem(ENTERPRISE));
    // 10: Entra checks the manager with an unquoted id-and-manager filter.
    dir.scim().queryParam("filter", "id eq " + id.toUpperCase() + " and manager eq 00aa00aa-bb11-cc22-dd33-44ee44ee44ee").queryParam("attributes", "id")
        .get("/Users").then().statusCode(200).body("totalResults", is(1)).body("Resources[0].id", equalTo(id)).body("Resources[0].userName", nullValue());
    Fixture.load("entra/10-query-manager-reference").replay(dir, ids).then().statusCode(200).body("totalResults", is(0));

    // 12: value-filter path on a multi-valued attribute, capitalised ops.
    Fixture multi = Fixture.load("entra/12-patch-user-replace-multi-valued");
    seedUser(dir, ids, multi.path().substring("/Users/".length()), "multi@testuser.com");
    multi.replay(dir, ids).then().statusCode(200)
        .body("emails.find { it.type == 'work' }.value", equalTo("updatedEmail@microsoft.com")).body("name.familyName", equalTo("updatedFamilyName"));

    // 13: rename (userName replace); 20: soft delete with boolean false.
    Fixture rename = Fixture.load("entra/13-patch-user-replace-username");
    seedUser(dir, ids, rename.path().substring("/Users/".length()), "before@testuser.com");
    rename.replay(dir, ids).then().statusCode(200).body("userName", equalTo("5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"));
    Fixture.load("entra/20-disable-user").replay(dir, ids).then().statusCode(200).body("active", is(false));
    Fixture.load("entra/21-delete-user").replay(dir, ids).then().statusCode(204);
    dir.scim().get("/Users/" + ids.get("5171a35d82074e068ce2")).then().statusCode(404);

    // 14/15: many attributes, legacy (one op each) and new (path-less, dotted and URN keys).
    ids.put("{id}", id);
    Fixture.load("entra/14-patch-user-replace-multiple-attributes-legacy").replay(dir, ids).then().statusCode(200)
        .body("displayName", equalTo("Pvlo")).body("name.givenName", equalTo("Gtfd")).body("externalId", equalTo("Eqpj"))
        .body("'" + ENTERPRISE + "'.employeeNumber", equalTo("Eqpj")).body("emails.find { it.type == 'work' }.value", equalTo("TestBcwqnm@test.microsoft.com"));
    JsonPath fifteen = Fixture.load("entra/15-patch-user-replace-multiple-attributes-aadOptscim062020").replay(dir, ids).then().statusCode(200).extract().jsonPath();
    assertThat(fifteen.getString("displayName")).isEqualTo("Bjfe");
    assertThat(fifteen.getString("name.givenName")).isEqualTo("Kkom");
    assertThat(fifteen.getString("name.familyName")).isEqualTo("Unua");
    assertThat(fifteen.getString("'" + ENTERPRISE + "'.employeeNumber")).isEqualTo("Aklq");
    assertThat(fifteen.getMap("")).doesNotContainKeys("name.givenName", ENTERPRISE + ":employeeNumber");

    // 16/17: add a single value, both forms.
    Fixture.load("entra/16-patch-user-add-single-value-legacy").replay(dir, ids).then().statusCode(200).body("nickName", equalTo("Babs"));
    Fixture.load("entra/17-patch-user-add-single-value-aadOptscim062020").replay(dir, ids).then().statusCode(200).body("nickName", equalTo("Babs"));

    // 18: "False" as a string (legacy) is boolean false; 19: the new boolean form. Both keep the user readable.
    Fixture.load("entra/18-disable-user-legacy-string-false").replay(dir, ids).then().statusCode(200).body("active", is(false));
    dir.scim().body("{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"active\",\"value\":true}]}")
        .patch("/Users/" + id).then().statusCode(200).body("active", is(true));
    Fixture.load("entra/19-disable-user-aadOptscim062020").replay(dir, ids).then().statusCode(200).body("active", is(false));
    dir.scim().get("/Users/" + id).then().statusCode(200).body("active", is(false));
  }

  @Test
  void groups_and_membership() {
    ScimTestSupport.Dir dir = ScimTestSupport.newDirectory();
    Map<String, String> ids = new HashMap<>();

    Fixture create = Fixture.load("entra/22-create-group");
    JsonPath g = create.replay(dir, ids).then().statusCode(201).extract().jsonPath();
    ids.put(create.responseBody().get("id").asText(), g.getString("id"));
    assertThat(g.getString("externalId")).isEqualTo("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");

    Fixture excluded = Fixture.load("entra/23-get-group-excluded-members");
    String groupWithMembers = seedGroup(dir, ids, excluded.path().substring("/Groups/".length(), excluded.path().indexOf('?')), "excluded", List.of("a", "b"));
    excluded.replay(dir, ids).then().statusCode(200).body("id", equalTo(groupWithMembers)).body("members", nullValue());
    dir.scim().get("/Groups/" + groupWithMembers).then().body("members.value", equalTo(List.of("a", "b")));

    Fixture.load("entra/24-get-group-by-displayname").replay(dir, ids).then().statusCode(200).body("totalResults", is(1))
        .body("Resources[0].id", equalTo(g.getString("id"))).body("Resources[0].members", nullValue());

    Fixture rename = Fixture.load("entra/25-patch-group-rename");
    String renamed = seedGroup(dir, ids, rename.path().substring("/Groups/".length()), "old name", List.of());
    rename.replay(dir, ids).then().statusCode(204);
    dir.scim().get("/Groups/" + renamed).then().body("displayName", equalTo("1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"));

    // 26 adds a member ($ref null accepted); 27 removes exactly that member, never the whole group.
    Fixture add = Fixture.load("entra/26-patch-group-add-members");
    String membersGroup = seedGroup(dir, ids, add.path().substring("/Groups/".length()), "members", List.of("keep-1", "keep-2"));
    add.replay(dir, ids).then().statusCode(204);
    assertThat(members(dir, membersGroup)).containsExactlyInAnyOrder("keep-1", "keep-2", "f648f8d5ea4e4cd38e9c");
    Fixture.load("entra/27-patch-group-remove-members").replay(dir, ids).then().statusCode(204);
    assertThat(members(dir, membersGroup)).containsExactlyInAnyOrder("keep-1", "keep-2");

    // 28 (legacy value array) and 29 (value-filter path) each remove one member only.
    String legacy = seedGroup(dir, ids, "{id}", "legacy", List.of("u1091", "7f4bc1a3-285e-48ae-8202-5accb43efb0e", "stays"));
    Fixture.load("entra/28-patch-group-remove-member-legacy").replay(dir, ids).then().statusCode(204);
    assertThat(members(dir, legacy)).containsExactlyInAnyOrder("7f4bc1a3-285e-48ae-8202-5accb43efb0e", "stays");
    Fixture.load("entra/29-patch-group-remove-member-aadOptscim062020").replay(dir, ids).then().statusCode(204);
    assertThat(members(dir, legacy)).containsExactly("stays");

    Fixture delete = Fixture.load("entra/30-delete-group");
    String doomed = seedGroup(dir, ids, delete.path().substring("/Groups/".length()), "doomed", List.of("x"));
    delete.replay(dir, ids).then().statusCode(204);
    dir.scim().get("/Groups/" + doomed).then().statusCode(404);
  }

  static List<String> members(ScimTestSupport.Dir dir, String groupId) {
    return dir.scim().get("/Groups/" + groupId).then().statusCode(200).extract().jsonPath().getList("members.value", String.class);
  }

  static String seedUser(ScimTestSupport.Dir dir, Map<String, String> ids, String docId, String userName) {
    String body = "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"" + userName + "\",\"active\":true,"
        + "\"name\":{\"givenName\":\"Seed\",\"familyName\":\"User\"},\"emails\":[{\"value\":\"" + userName + "\",\"type\":\"work\",\"primary\":true}]}";
    String id = dir.scim().body(body).post("/Users").then().statusCode(201).extract().path("id");
    ids.put(docId, id);
    return id;
  }

  static String seedGroup(ScimTestSupport.Dir dir, Map<String, String> ids, String docId, String name, List<String> members) {
    StringBuilder m = new StringBuilder("[");
    for (int i = 0; i < members.size(); i++) {
      m.append(i == 0 ? "" : ",").append("{\"value\":\"").append(members.get(i)).append("\"}");
    }
    String body = "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],\"displayName\":\"" + name + "\",\"members\":" + m + "]}";
    String id = dir.scim().body(body).post("/Groups").then().statusCode(201).extract().path("id");
    ids.put(docId, id);
    return id;
  }
}
