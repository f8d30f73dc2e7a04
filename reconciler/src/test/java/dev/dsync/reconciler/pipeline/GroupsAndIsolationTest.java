package dev.dsync.reconciler.pipeline;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.source.MemberRef;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class GroupsAndIsolationTest {

  @Test
  void nested_groups_give_effective_memberships_and_a_cycle_is_reported_not_looped() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      // The membership arrives before the user: it is published once both ends exist.
      src.upsertGroup("g1", "All");
      src.upsertGroup("g2", "Eng");
      src.upsertGroup("g3", "Platform");
      src.members("g3", List.of(new MemberRef("u1", "User")), List.of());
      src.upsertUser(Source.user("u1", "u1@x.test", "U", "One", "u1@x.test", true, null), 1, null);
      src.members("g1", List.of(new MemberRef("g2", "Group")), List.of());
      src.members("g2", List.of(new MemberRef("g3", "Group")), List.of());
      src.members("g3", List.of(new MemberRef("g1", "Group")), List.of());
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.group.user_added").size() == 1);
      Map<String, String> groupIds = probe.events(src.directory, "dsync.group.created").stream()
          .collect(Collectors.toMap(e -> e.data().path("group").path("displayName").asText(), e -> e.data().path("group").path("id").asText()));
      String userId = probe.events(src.directory, "dsync.user.created").get(0).data().path("user").path("id").asText();
      IdentityProbe.Seen added = probe.events(src.directory, "dsync.group.user_added").get(0);
      assertThat(added.data().path("group").path("id").asText()).isEqualTo(groupIds.get("Platform"));
      assertThat(added.data().path("user").path("id").asText()).isEqualTo(userId);

      await().atMost(Duration.ofSeconds(30)).until(() -> given().auth().oauth2(token).get("/api/v1/groups/" + groupIds.get("Platform"))
          .then().extract().jsonPath().getBoolean("cycleDetected"));
      JsonPath user = given().auth().oauth2(token).get("/api/v1/identities/" + userId).then().statusCode(200).extract().jsonPath();
      assertThat(user.getList("groups")).containsExactly(groupIds.get("Platform"));
      assertThat(user.getList("effectiveGroups")).containsExactlyInAnyOrderElementsOf(groupIds.values());

      src.members("g3", List.of(), List.of(new MemberRef("u1", "User")));
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.group.user_removed").size() == 1);
      assertThat(given().auth().oauth2(token).get("/api/v1/identities/" + userId).then().extract().jsonPath().getList("effectiveGroups")).isEmpty();
    }
  }

  @Test
  void groups_listed_after_their_memberships_in_a_sync_job_take_them_over_page_by_page() {
    // A page of new groups reads, in one query, the memberships that named them before they
    // existed (as a member or as the group); each is published once both ends exist.
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      String job = java.util.UUID.randomUUID().toString();
      src.jobStarted(job, dev.dsync.events.source.SyncMode.COMPLETE);
      for (int i = 0; i < 3; i++) {
        src.upsertUser(Source.user("u" + i, "u" + i + "@x.test", "U", "N" + i, "u" + i + "@x.test", true, null), job);
      }
      src.members("eng", List.of(new MemberRef("u0", "User"), new MemberRef("u1", "User")), List.of(), job);
      src.members("all", List.of(new MemberRef("eng", "Group"), new MemberRef("u2", "User")), List.of(), job);
      src.upsertGroup("eng", "Eng", job);
      src.upsertGroup("all", "All", job);
      src.jobCompleted(job, dev.dsync.events.source.SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.group.user_added").size() == 3);
      Map<String, String> groupIds = probe.events(src.directory, "dsync.group.created").stream()
          .collect(Collectors.toMap(e -> e.data().path("group").path("displayName").asText(), e -> e.data().path("group").path("id").asText()));
      Map<String, String> userIds = probe.events(src.directory, "dsync.user.created").stream()
          .collect(Collectors.toMap(e -> e.data().path("user").path("userName").asText(), e -> e.data().path("user").path("id").asText()));
      assertThat(probe.events(src.directory, "dsync.group.user_added").stream()
              .map(e -> e.data().path("group").path("id").asText() + "/" + e.data().path("user").path("id").asText()))
          .containsExactlyInAnyOrder(
              groupIds.get("Eng") + "/" + userIds.get("u0@x.test"),
              groupIds.get("Eng") + "/" + userIds.get("u1@x.test"),
              groupIds.get("All") + "/" + userIds.get("u2@x.test"));
      JsonPath u0 = given().auth().oauth2(token).get("/api/v1/identities/" + userIds.get("u0@x.test")).then().statusCode(200).extract().jsonPath();
      assertThat(u0.getList("groups")).containsExactly(groupIds.get("Eng"));
      assertThat(u0.getList("effectiveGroups")).containsExactlyInAnyOrder(groupIds.get("Eng"), groupIds.get("All"));
    }
  }

  @Test
  void deleting_a_group_ends_each_published_membership_before_the_group_is_deleted() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      src.upsertUser(Source.user("u1", "u1@x.test", "U", "One", "u1@x.test", true, null), 1, null);
      src.upsertUser(Source.user("u2", "u2@x.test", "U", "Two", "u2@x.test", true, null), 1, null);
      src.upsertGroup("g1", "Sales");
      src.upsertGroup("g2", "Everyone");
      src.members("g1", List.of(new MemberRef("u1", "User"), new MemberRef("u2", "User")), List.of());
      src.members("g2", List.of(new MemberRef("u1", "User"), new MemberRef("g1", "Group")), List.of());
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.group.user_added").size() == 3);
      String sales = probe.events(src.directory, "dsync.group.created").stream()
          .filter(e -> e.data().path("group").path("displayName").asText().equals("Sales")).findFirst().orElseThrow()
          .data().path("group").path("id").asText();

      src.deleteGroup("g1");
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.group.deleted").size() == 1);
      List<IdentityProbe.Seen> removed = probe.events(src.directory, "dsync.group.user_removed");
      assertThat(removed).hasSize(2);
      assertThat(removed).allSatisfy(e -> assertThat(e.data().path("group").path("id").asText()).isEqualTo(sales));
      assertThat(removed.stream().map(e -> e.data().path("user").path("userName").asText()))
          .containsExactlyInAnyOrder("u1@x.test", "u2@x.test");
      long deletedAt = probe.events(src.directory, "dsync.group.deleted").get(0).sequence();
      assertThat(removed).allSatisfy(e -> assertThat(e.sequence()).isLessThan(deletedAt));
      // u1 stays in Everyone; the deleted group is no longer a member of it.
      String u1 = removed.stream().filter(e -> e.data().path("user").path("userName").asText().equals("u1@x.test")).findFirst()
          .orElseThrow().data().path("user").path("id").asText();
      JsonPath user = given().auth().oauth2(token).get("/api/v1/identities/" + u1).then().statusCode(200).extract().jsonPath();
      assertThat(user.getList("groups")).hasSize(1).doesNotContain(sales);
    }
  }

  @Test
  void a_tenant_cannot_see_or_change_another_tenants_directories_identities_or_jobs() {
    String a = Tokens.newTenant();
    String b = Tokens.newTenant();
    try (Source src = Source.newDirectory(a); Source intruder = new Source(b, src.directory); IdentityProbe probe = new IdentityProbe()) {
      src.upsertUser(Source.user("x1", "x1@a.test", "X", "One", "x1@a.test", true, null), 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 1);
      String id = probe.events(src.directory).get(0).data().path("user").path("id").asText();

      given().auth().oauth2(Tokens.admin(a)).get("/api/v1/identities/" + id).then().statusCode(200);
      given().auth().oauth2(Tokens.admin(b)).get("/api/v1/identities/" + id).then().statusCode(404).contentType("application/problem+json");
      assertThat(given().auth().oauth2(Tokens.admin(b)).get("/api/v1/identities").then().statusCode(200).extract().jsonPath().getList("items")).isEmpty();
      given().auth().oauth2(Tokens.admin(b)).get("/api/v1/directories/" + src.directory + "/rules").then().statusCode(404);
      given().auth().oauth2(Tokens.admin(b)).contentType(ContentType.JSON).body("{}")
          .put("/api/v1/directories/" + src.directory + "/rules").then().statusCode(404);
      given().get("/api/v1/identities").then().statusCode(401).contentType("application/problem+json");

      // Another tenant's events for this directory are rejected, not applied.
      intruder.upsertUser(Source.user("evil", "evil@b.test", "E", "Vil", "evil@b.test", true, null), 1, null);
      src.upsertUser(Source.user("x2", "x2@a.test", "X", "Two", "x2@a.test", true, null), 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 2);
      assertThat(probe.events(src.directory)).allSatisfy(e -> assertThat(e.tenant()).isEqualTo(a));
      assertThat(probe.events(src.directory).get(1).data().path("user").path("userName").asText()).isEqualTo("x2@a.test");
    }
  }

  @Test
  void invalid_rules_are_a_400_with_field_errors_and_write_no_version() {
    String t = Tokens.newTenant();
    String dir = "dir-rules-" + t;
    given().auth().oauth2(Tokens.admin(t)).contentType(ContentType.JSON)
        .body("{\"scope\":{\"include\":\"department eq\"},\"mappings\":[{\"target\":\"nope\",\"source\":\"x\"},"
            + "{\"target\":\"attributes.x\",\"source\":\"title\",\"transforms\":[{\"type\":\"REGEX_REPLACE\",\"pattern\":\"([\"}]}],"
            + "\"thresholds\":{\"deleted\":{\"percent\":150}}}")
        .put("/api/v1/directories/" + dir + "/rules")
        .then().statusCode(400).contentType("application/problem+json");
    JsonPath errors = given().auth().oauth2(Tokens.admin(t)).contentType(ContentType.JSON)
        .body("{\"scope\":{\"include\":\"department eq\"},\"mappings\":[{\"target\":\"nope\",\"source\":\"x\"}],\"thresholds\":{\"deleted\":{\"percent\":150}}}")
        .put("/api/v1/directories/" + dir + "/rules").then().statusCode(400).extract().jsonPath();
    assertThat(errors.getList("errors.field")).contains("scope.include", "mappings[0].target", "thresholds.deleted.percent");
    assertThat(given().auth().oauth2(Tokens.admin(t)).get("/api/v1/directories/" + dir + "/rules").then().statusCode(200)
        .extract().jsonPath().getList("history")).isEmpty();

    given().auth().oauth2(Tokens.admin(t)).contentType(ContentType.JSON).body("{\"deprovisioning\":{\"policy\":\"DELETE\"}}")
        .put("/api/v1/directories/" + dir + "/rules").then().statusCode(200);
    given().auth().oauth2(Tokens.admin(t)).contentType(ContentType.JSON).body("{\"correlation\":[\"USER_NAME\"]}")
        .put("/api/v1/directories/" + dir + "/rules").then().statusCode(200);
    JsonPath rules = given().auth().oauth2(Tokens.admin(t)).get("/api/v1/directories/" + dir + "/rules").then().statusCode(200).extract().jsonPath();
    assertThat(rules.getInt("current.version")).isEqualTo(2);
    assertThat(rules.getList("current.rules.correlation")).containsExactly("USER_NAME");
    assertThat(rules.getList("history.version")).containsExactly(2, 1);
    assertThat(rules.getString("history[1].rules.deprovisioning.policy")).isEqualTo("DELETE");
  }
}
