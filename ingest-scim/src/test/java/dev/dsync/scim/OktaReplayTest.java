package dev.dsync.scim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
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

/** Okta's documented provisioning flow, replayed request by request (fixtures/scim/okta). */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OktaReplayTest {

  static final String DOC_USER = "23a35c27-23d3-4c03-b4c5-6443c09e7173";
  static final String DOC_GROUP = "abf4dd94-a4c0-4f67-89c9-76b03340cb9b";
  static final String OTHER_MEMBER = "89bb1940-b905-4575-9e7f-6f887cfb368e";

  @Test
  void user_and_group_lifecycle_as_okta_sends_it() {
    ScimTestSupport.Dir dir = ScimTestSupport.newDirectory();
    Map<String, String> ids = new HashMap<>();

    // 01: lookup before create: an empty ListResponse with integer paging fields.
    Fixture.load("okta/01-lookup-user-by-username").replay(dir, ids).then().statusCode(200)
        .body("schemas", hasItem("urn:ietf:params:scim:api:messages:2.0:ListResponse"))
        .body("totalResults", is(0)).body("startIndex", is(1)).body("itemsPerPage", is(0)).body("Resources.size()", is(0));
    // 02 documents that some servers answer 404 here; RFC 7644 (and Okta's preferred form) is 200.
    Fixture.load("okta/02-lookup-user-by-username-404-alternative").replay(dir, ids).then().statusCode(200).body("totalResults", is(0));

    // 03: create; the placeholder password is accepted and never returned.
    Fixture create = Fixture.load("okta/03-create-user");
    JsonPath created = create.replay(dir, ids).then().statusCode(201).extract().jsonPath();
    ids.put(DOC_USER, created.getString("id"));
    assertSubset(create.responseBody(), created, "userName", "displayName", "locale", "externalId", "active");
    assertThat(created.getString("name.givenName")).isEqualTo("Test");
    assertThat(created.getString("emails[0].value")).isEqualTo("test.user@okta.local");
    assertThat(created.getString("password")).isNull();

    // 04: the same userName again is a conflict.
    Fixture.load("okta/04-create-user-conflict-409").replay(dir, ids).then().statusCode(409)
        .body("schemas", hasItem("urn:ietf:params:scim:api:messages:2.0:Error")).body("scimType", equalTo("uniqueness"));
    // 05 is the same create without externalId: also a conflict now, nothing written.
    Fixture.load("okta/05-create-user-custom-attributes-variant").replay(dir, ids).then().statusCode(409);

    // 06: import listing.
    Fixture.load("okta/06-list-users-import").replay(dir, ids).then().statusCode(200).body("totalResults", is(1)).body("itemsPerPage", is(1));

    // 07/08: GET by id.
    Fixture.load("okta/07-get-user").replay(dir, ids).then().statusCode(200).body("id", equalTo(ids.get(DOC_USER))).body("userName", equalTo("test.user@okta.local"));
    Fixture.load("okta/08-update-user-get-before-put").replay(dir, ids).then().statusCode(200);

    // 09: PUT with id, meta and groups in the body (read-only, ignored) changes the name.
    Fixture.load("okta/09-update-user-put").replay(dir, ids).then().statusCode(200)
        .body("name.givenName", equalTo("Another")).body("name.middleName", equalTo("Excited")).body("emails[0].display", equalTo("test.user@okta.local"));

    // 10: deactivate by path-less replace; the user stays readable.
    Fixture.load("okta/10-deactivate-user-patch").replay(dir, ids).then().statusCode(200).body("active", is(false));
    Fixture.load("okta/07-get-user").replay(dir, ids).then().statusCode(200).body("active", is(false));

    // 11-13: group push.
    Fixture group = Fixture.load("okta/11-create-group");
    JsonPath g = group.replay(dir, ids).then().statusCode(201).extract().jsonPath();
    ids.put(DOC_GROUP, g.getString("id"));
    assertThat(g.getString("displayName")).isEqualTo(group.responseBody().get("displayName").asText());
    Fixture.load("okta/12-list-groups-import").replay(dir, ids).then().statusCode(200).body("totalResults", is(1));
    Fixture.load("okta/13-get-group").replay(dir, ids).then().statusCode(200).body("id", equalTo(ids.get(DOC_GROUP)));

    // 14: remove a (never added) member and add the user in one PATCH.
    Fixture.load("okta/14-patch-group-membership-remove-and-add").replay(dir, ids).then().statusCode(anyOf(is(200), is(204)));
    assertThat(members(dir, ids)).containsExactly(ids.get(DOC_USER));
    // The user's read-only groups attribute reflects it.
    Fixture.load("okta/07-get-user").replay(dir, ids).then().body("groups.value", hasItem(ids.get(DOC_GROUP)));

    // 15: AIW pushes membership with PUT of the whole group.
    Fixture.load("okta/15-put-group-membership-aiw").replay(dir, ids).then().statusCode(200)
        .body("members.value", equalTo(List.of(ids.get(DOC_USER)))).body("displayName", equalTo("Test SCIMv2"));

    // 16: rename with {id, displayName}: the unchanged id is no change, no mutability error.
    Fixture.load("okta/16-rename-group-patch").replay(dir, ids).then().statusCode(anyOf(is(200), is(204)));
    Fixture.load("okta/13-get-group").replay(dir, ids).then().body("displayName", equalTo("Test SCIMv2"));

    // 17: replace the whole member list.
    Fixture.load("okta/17-replace-group-members-patch").replay(dir, ids).then().statusCode(204);
    assertThat(members(dir, ids)).containsExactlyInAnyOrder(ids.get(DOC_USER), OTHER_MEMBER);

    // 18: delete the group; the user's groups attribute empties.
    Fixture.load("okta/18-delete-group").replay(dir, ids).then().statusCode(204);
    Fixture.load("okta/13-get-group").replay(dir, ids).then().statusCode(404);
    Fixture.load("okta/07-get-user").replay(dir, ids).then().body("groups", nullValue());
  }

  static List<String> members(ScimTestSupport.Dir dir, Map<String, String> ids) {
    return dir.scim().get("/Groups/" + ids.get(DOC_GROUP)).then().statusCode(200).extract().jsonPath().getList("members.value", String.class);
  }

  static void assertSubset(com.fasterxml.jackson.databind.JsonNode expected, JsonPath actual, String... fields) {
    for (String f : fields) {
      assertThat(String.valueOf(actual.getString(f))).as(f).isEqualTo(expected.get(f).asText());
    }
  }
}
