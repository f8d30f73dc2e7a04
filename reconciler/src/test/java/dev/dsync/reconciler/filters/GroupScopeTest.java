package dev.dsync.reconciler.filters;

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
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Group scope: only direct members of the configured source groups are managed. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class GroupScopeTest {

  @Test
  void a_user_enters_scope_by_joining_a_scoped_group_and_is_deprovisioned_when_it_leaves() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      given().auth().oauth2(token).contentType(ContentType.JSON)
          .body("{\"scope\":{\"groups\":[\"g-app\"]}}")
          .put("/api/v1/directories/" + src.directory + "/rules").then().statusCode(200);
      src.upsertGroup("g-app", "App users");
      src.upsertGroup("g-other", "Others");
      src.upsertUser(Source.user("ann", "ann@x.test", "Ann", "A", "ann@x.test", true, null), null);
      src.upsertUser(Source.user("bob", "bob@x.test", "Bob", "B", "bob@x.test", true, null), null);
      src.members("g-other", List.of(new MemberRef("bob", "User")), List.of());
      // Not a member of g-app: not managed, no user event.
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.group.created").size() == 2);
      src.upsertGroup("g-marker", "marker");
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.group.created").size() == 3);
      assertThat(probe.events(src.directory, "dsync.user.created")).isEmpty();

      // Joining g-app brings ann into scope: created from her latest source state, then the membership.
      src.upsertUser(Source.user("ann", "ann@x.test", "Ann", "Newname", "ann@x.test", true, null), null);
      src.members("g-app", List.of(new MemberRef("ann", "User")), List.of());
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.group.user_added").size() == 1);
      List<IdentityProbe.Seen> events = probe.events(src.directory);
      IdentityProbe.Seen created = events.get(events.size() - 2);
      assertThat(created.type()).isEqualTo("dsync.user.created");
      assertThat(created.data().path("user").path("userName").asText()).isEqualTo("ann@x.test");
      assertThat(created.data().path("user").path("familyName").asText()).isEqualTo("Newname");
      assertThat(events.get(events.size() - 1).type()).isEqualTo("dsync.group.user_added");
      assertThat(probe.events(src.directory, "dsync.user.created")).hasSize(1);
      String annId = created.data().path("user").path("id").asText();

      // Leaving g-app: the membership ends and ann is deprovisioned per policy (deactivate by default).
      src.members("g-app", List.of(), List.of(new MemberRef("ann", "User")));
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.user.updated").size() == 1);
      List<IdentityProbe.Seen> after = probe.events(src.directory);
      assertThat(after.get(after.size() - 2).type()).isEqualTo("dsync.group.user_removed");
      IdentityProbe.Seen deactivated = after.get(after.size() - 1);
      assertThat(deactivated.type()).isEqualTo("dsync.user.updated");
      assertThat(deactivated.data().path("user").path("id").asText()).isEqualTo(annId);
      assertThat(deactivated.data().path("user").path("state").asText()).isEqualTo("INACTIVE");
      assertThat(given().auth().oauth2(token).get("/api/v1/identities/" + annId).then().statusCode(200)
          .extract().jsonPath().getString("user.state")).isEqualTo("INACTIVE");

      // Rejoining reactivates the same identity; bob (only in g-other) never appears.
      src.members("g-app", List.of(new MemberRef("ann", "User")), List.of());
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.user.updated").size() == 2);
      IdentityProbe.Seen reactivated = probe.events(src.directory, "dsync.user.updated").get(1);
      assertThat(reactivated.data().path("user").path("id").asText()).isEqualTo(annId);
      assertThat(reactivated.data().path("user").path("state").asText()).isEqualTo("ACTIVE");
      assertThat(probe.events(src.directory, "dsync.user.created")).hasSize(1);
      assertThat(probe.events(src.directory)).noneMatch(e -> e.data().path("user").path("userName").asText().equals("bob@x.test"));
    }
  }

  @Test
  void a_scope_naming_a_blank_group_is_refused() {
    String tenant = Tokens.newTenant();
    given().auth().oauth2(Tokens.admin(tenant)).contentType(ContentType.JSON)
        .body("{\"scope\":{\"groups\":[\"\"]}}")
        .put("/api/v1/directories/dir-" + tenant + "/rules").then().statusCode(400).contentType("application/problem+json");
  }
}
