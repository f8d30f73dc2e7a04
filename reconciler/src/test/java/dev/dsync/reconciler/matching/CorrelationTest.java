package dev.dsync.reconciler.matching;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class CorrelationTest {

  @Test
  void no_match_creates_one_match_links_and_an_ambiguous_match_is_disputed_until_an_admin_decides() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source a = Source.newDirectory(tenant); Source c = Source.newDirectory(tenant); Source d = Source.newDirectory(tenant);
        IdentityProbe probe = new IdentityProbe()) {
      // Two people of directory A share a mailbox: within one directory they stay two identities.
      a.upsertUser(Source.user("a1", "one@a.test", "One", "A", "shared@x.test", true, null), 1, null);
      a.upsertUser(Source.user("a2", "two@a.test", "Two", "A", "shared@x.test", true, null), 1, null);
      a.upsertUser(Source.user("a3", "carol@a.test", "Carol", "A", "carol@x.test", true, null), 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(a.directory, "dsync.user.created").size() == 3);
      List<String> ids = probe.events(a.directory).stream().map(e -> e.data().path("user").path("id").asText()).toList();

      // Directory D's Carol matches on primary email: linked, no new identity.
      d.upsertUser(Source.user("d3", "Carol@D.test", "Carol", "A", "CAROL@x.test", true, null), 1, null);
      // Directory C's user matches both shared-mailbox identities: disputed, nothing published.
      c.upsertUser(Source.user("c1", "c1@c.test", "Cee", "One", "shared@x.test", true, null), 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> disputes(token).size() == 1);
      // The dispute is read from the database; D's event reaches Kafka through the outbox relay, a little later.
      await().atMost(Duration.ofSeconds(30)).until(() -> !probe.events(d.directory).isEmpty());
      assertThat(probe.events(d.directory)).hasSize(1);
      assertThat(probe.events(d.directory).get(0).type()).isEqualTo("dsync.user.updated");
      assertThat(probe.events(d.directory).get(0).data().path("user").path("id").asText()).isEqualTo(ids.get(2));
      JsonPath carol = given().auth().oauth2(token).get("/api/v1/identities/" + ids.get(2)).then().statusCode(200).extract().jsonPath();
      assertThat(carol.getList("sources.directoryId")).containsExactlyInAnyOrder(a.directory, d.directory);
      assertThat(probe.events(c.directory)).isEmpty();

      JsonPath dispute = JsonPath.from(given().auth().oauth2(token).queryParam("status", "OPEN").get("/api/v1/disputes").asString());
      String disputeId = dispute.getString("items[0].id");
      assertThat(dispute.getList("items[0].candidates")).containsExactlyInAnyOrder(ids.get(0), ids.get(1));
      given().auth().oauth2(token).contentType(ContentType.JSON).body("{\"action\":\"LINK\",\"identityId\":\"" + ids.get(2) + "\"}")
          .post("/api/v1/disputes/" + disputeId + "/resolve").then().statusCode(400).contentType("application/problem+json");
      given().auth().oauth2(token).contentType(ContentType.JSON).body("{\"action\":\"LINK\",\"identityId\":\"" + ids.get(1) + "\"}")
          .post("/api/v1/disputes/" + disputeId + "/resolve").then().statusCode(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(c.directory).size() == 1);
      assertThat(probe.events(c.directory).get(0).data().path("user").path("id").asText()).isEqualTo(ids.get(1));
      given().auth().oauth2(token).contentType(ContentType.JSON).body("{\"action\":\"CREATE\"}")
          .post("/api/v1/disputes/" + disputeId + "/resolve").then().statusCode(409);
    }
  }

  @Test
  void between_two_directories_the_higher_priority_wins_and_stale_changes_are_ignored() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source hr = Source.newDirectory(tenant); Source it = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      given().auth().oauth2(token).contentType(ContentType.JSON).body("{\"conflicts\":{\"priority\":10}}")
          .put("/api/v1/directories/" + hr.directory + "/rules").then().statusCode(200);
      given().auth().oauth2(token).contentType(ContentType.JSON)
          .body("{\"conflicts\":{\"priority\":0,\"attributePriorities\":{\"attributes.title\":20}},\"mappings\":[{\"target\":\"attributes.title\",\"source\":\"title\"}]}")
          .put("/api/v1/directories/" + it.directory + "/rules").then().statusCode(200);

      var hrDan = Source.user("h1", "dan@corp.test", "Dan", "Official", "dan@corp.test", true, "Finance");
      hrDan.put("title", "Clerk");
      hr.upsertUser(hrDan, 5, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(hr.directory).size() == 1);
      String id = probe.events(hr.directory).get(0).data().path("user").path("id").asText();

      var itDan = Source.user("i1", "dan@corp.test", "Danny", "Official", "dan@corp.test", true, "IT");
      itDan.put("externalId", "ext-h1");
      itDan.put("title", "Engineer");
      it.upsertUser(itDan, 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(it.directory).size() == 1);
      // IT wins only the attribute it has priority for; HR keeps its names and department.
      var update = probe.events(it.directory).get(0).data();
      assertThat(update.path("user").path("id").asText()).isEqualTo(id);
      assertThat(update.path("user").path("givenName").asText()).isEqualTo("Dan");
      assertThat(update.path("user").path("attributes").path("department").asText()).isEqualTo("Finance");
      assertThat(update.path("user").path("attributes").path("title").asText()).isEqualTo("Engineer");
      assertThat(update.path("previousAttributes").path("attributes.title").asText()).isEqualTo("Clerk");

      // A stale HR change (older sourceVersion than applied) is ignored and counted; a newer one applies.
      var staleDan = hrDan.deepCopy();
      staleDan.put("displayName", "Stale Dan");
      hr.upsertUser(staleDan, 4, null);
      var newDan = hrDan.deepCopy();
      newDan.put("displayName", "Daniel Official");
      hr.upsertUser(newDan, 6, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(hr.directory).size() == 2);
      assertThat(probe.events(hr.directory).get(1).data().path("user").path("displayName").asText()).isEqualTo("Daniel Official");
      assertThat(probe.events(hr.directory).get(1).data().path("previousAttributes").path("displayName").asText()).isEqualTo("Dan Official");
      JsonPath detail = given().auth().oauth2(token).get("/api/v1/identities/" + id).then().statusCode(200).extract().jsonPath();
      assertThat(detail.getString("provenance.displayName.directoryId")).isEqualTo(hr.directory);
      assertThat(detail.getString("provenance.'attributes.title'.directoryId")).isEqualTo(it.directory);
    }
  }

  private static List<Object> disputes(String token) {
    return given().auth().oauth2(token).queryParam("status", "OPEN").get("/api/v1/disputes").then().statusCode(200).extract().jsonPath().getList("items");
  }
}
