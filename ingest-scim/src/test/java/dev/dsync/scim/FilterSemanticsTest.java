package dev.dsync.scim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Filters evaluated by PostgreSQL against real users: which users match, not which SQL is written. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class FilterSemanticsTest {

  static ScimTestSupport.Dir dir;

  @BeforeEach
  void users() {
    if (dir != null) {
      return;
    }
    dir = ScimTestSupport.newDirectory();
    user("alice", "{\"userName\":\"alice@example.com\",\"title\":\"Engineer\",\"userType\":\"Employee\",\"active\":true,"
        + "\"name\":{\"givenName\":\"Alice\",\"familyName\":\"Liddell\"},\"emails\":[{\"value\":\"Alice@Example.com\",\"type\":\"work\",\"primary\":true}],"
        + "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"R&D\",\"employeeNumber\":\"100\"}}");
    user("bob", "{\"userName\":\"bob@example.com\",\"userType\":\"Contractor\",\"active\":false,\"externalId\":\"EXT-Bob\","
        + "\"name\":{\"givenName\":\"Bob\",\"familyName\":\"Builder\"},\"emails\":[{\"value\":\"bob@home.example\",\"type\":\"home\"},{\"value\":\"bob@example.com\",\"type\":\"work\",\"primary\":false}],"
        + "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"Sales\"}}");
    user("carol", "{\"userName\":\"carol_x%@example.org\",\"title\":\"Manager\",\"userType\":\"Employee\",\"active\":true,"
        + "\"name\":{\"givenName\":\"Carol\",\"familyName\":\"Jensen\"},\"phoneNumbers\":[{\"value\":\"+1 555 0100\",\"type\":\"work\"}]}");
  }

  void user(String label, String json) {
    dir.scim().body(json).post("/Users").then().statusCode(201);
  }

  List<String> match(String filter) {
    return dir.scim().queryParam("filter", filter).queryParam("sortBy", "userName").get("/Users").then().statusCode(200)
        .extract().jsonPath().getList("Resources.userName", String.class);
  }

  @Test
  void comparison_operators() {
    assertThat(match("userName eq \"ALICE@example.com\"")).containsExactly("alice@example.com");
    assertThat(match("userName ne \"alice@example.com\"")).containsExactly("bob@example.com", "carol_x%@example.org");
    assertThat(match("userName co \"x%@\"")).containsExactly("carol_x%@example.org");
    assertThat(match("userName sw \"B\"")).containsExactly("bob@example.com");
    assertThat(match("userName ew \".ORG\"")).containsExactly("carol_x%@example.org");
    assertThat(match("title pr")).containsExactly("alice@example.com", "carol_x%@example.org");
    assertThat(match("userName gt \"b\"")).containsExactly("bob@example.com", "carol_x%@example.org");
    assertThat(match("userName le \"bob@example.com\"")).containsExactly("alice@example.com", "bob@example.com");
    assertThat(match("externalId eq \"ext-bob\"")).as("externalId is caseExact").isEmpty();
    assertThat(match("externalId eq \"EXT-Bob\"")).containsExactly("bob@example.com");
  }

  @Test
  void logic_precedence_and_not() {
    assertThat(match("title pr or userType eq \"Contractor\" and active eq true")).containsExactly("alice@example.com", "carol_x%@example.org");
    assertThat(match("(title pr or userType eq \"Contractor\") and active eq false")).containsExactly("bob@example.com");
    assertThat(match("(title pr or userType eq \"Contractor\") and active eq true and userType eq \"Contractor\"")).isEmpty();
    assertThat(match("not (userType eq \"Employee\")")).containsExactly("bob@example.com");
    assertThat(match("not (title pr)")).containsExactly("bob@example.com");
  }

  @Test
  void multi_valued_value_paths_and_extensions() {
    assertThat(match("emails[type eq \"work\" and primary eq true]")).containsExactly("alice@example.com");
    assertThat(match("emails[type eq \"home\"]")).containsExactly("bob@example.com");
    assertThat(match("emails.value eq \"alice@example.com\"")).containsExactly("alice@example.com");
    assertThat(match("emails co \"home\"")).containsExactly("bob@example.com");
    assertThat(match("phoneNumbers.value sw \"+1\"")).containsExactly("carol_x%@example.org");
    assertThat(match("name.familyName eq \"jensen\"")).containsExactly("carol_x%@example.org");
    assertThat(match("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"sales\"")).containsExactly("bob@example.com");
    assertThat(match("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr")).containsExactly("alice@example.com");
    assertThat(match("USERNAME eq \"bob@example.com\"")).as("attribute names are case-insensitive").containsExactly("bob@example.com");
  }

  @Test
  void meta_dates_and_paging() {
    assertThat(match("meta.created gt \"2000-01-01T00:00:00Z\"")).hasSize(3);
    assertThat(match("meta.lastModified lt \"2000-01-01T00:00:00Z\"")).isEmpty();
    var page = dir.scim().queryParam("startIndex", "2").queryParam("count", "1").queryParam("sortBy", "userName").queryParam("sortOrder", "descending")
        .get("/Users").then().statusCode(200).extract().jsonPath();
    assertThat(page.getInt("totalResults")).isEqualTo(3);
    assertThat(page.getInt("itemsPerPage")).isEqualTo(1);
    assertThat(page.getInt("startIndex")).isEqualTo(2);
    assertThat(page.getList("Resources.userName")).containsExactly("bob@example.com");
    // count is capped at maxResults, and attributes narrows what is returned.
    var narrow = dir.scim().queryParam("attributes", "userName").queryParam("count", "100000").get("/Users").then().statusCode(200).extract().jsonPath();
    assertThat(narrow.getMap("Resources[0]")).containsOnlyKeys("id", "schemas", "userName");
  }
}
