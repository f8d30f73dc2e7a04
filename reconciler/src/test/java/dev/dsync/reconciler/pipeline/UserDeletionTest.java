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
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class UserDeletionTest {

  @Test
  void a_deleted_user_leaves_each_of_its_groups_with_user_removed_before_user_deleted() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      given().auth().oauth2(token).contentType(ContentType.JSON)
          .body("{\"deprovisioning\":{\"policy\":\"DELETE\"}}")
          .put("/api/v1/directories/" + src.directory + "/rules").then().statusCode(200);
      src.upsertGroup("g1", "One");
      src.upsertGroup("g2", "Two");
      src.upsertUser(Source.user("u1", "u1@x.test", "U", "One", "u1@x.test", true, null), null);
      src.upsertUser(Source.user("u2", "u2@x.test", "U", "Two", "u2@x.test", true, null), null);
      src.members("g1", List.of(new MemberRef("u1", "User"), new MemberRef("u2", "User")), List.of());
      src.members("g2", List.of(new MemberRef("u1", "User")), List.of());
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.group.user_added").size() == 3);
      String u1 = probe.events(src.directory, "dsync.user.created").get(0).data().path("user").path("id").asText();
      Set<String> groups = probe.events(src.directory, "dsync.group.created").stream()
          .map(e -> e.data().path("group").path("id").asText()).collect(Collectors.toSet());

      src.deleteUser("u1", null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.user.deleted").size() == 1);
      List<IdentityProbe.Seen> all = probe.events(src.directory);
      List<IdentityProbe.Seen> tail = all.subList(all.size() - 3, all.size());
      assertThat(tail.subList(0, 2)).allSatisfy(e -> {
        assertThat(e.type()).isEqualTo("dsync.group.user_removed");
        assertThat(e.data().path("user").path("id").asText()).isEqualTo(u1);
      });
      assertThat(tail.subList(0, 2).stream().map(e -> e.data().path("group").path("id").asText())).containsExactlyInAnyOrderElementsOf(groups);
      assertThat(tail.get(2).type()).isEqualTo("dsync.user.deleted");
      // u2 keeps its membership; nothing else was removed.
      assertThat(probe.events(src.directory, "dsync.group.user_removed")).hasSize(2);
      given().auth().oauth2(token).get("/api/v1/identities/" + u1).then().statusCode(404);
      List<Long> seqs = all.stream().map(IdentityProbe.Seen::sequence).toList();
      for (int i = 1; i < seqs.size(); i++) {
        assertThat(seqs.get(i)).isEqualTo(seqs.get(i - 1) + 1);
      }
    }
  }
}
