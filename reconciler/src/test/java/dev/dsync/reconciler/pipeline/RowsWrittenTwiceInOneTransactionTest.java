package dev.dsync.reconciler.pipeline;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.source.MemberRef;
import dev.dsync.events.source.SyncMode;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A row a transaction creates is written with a plain insert, every later write of it with an
 * upsert; a membership the transaction deleted, and the table still holds, is not new when added
 * back. A job's page is one transaction whose writes go out in parts of 100 changes: here pages of
 * 500 (the default), not the suite's 4, so that each job below is one page written in parts.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
@TestProfile(RowsWrittenTwiceInOneTransactionTest.DefaultPages.class)
class RowsWrittenTwiceInOneTransactionTest {

  public static class DefaultPages implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("dsync.reconciler.apply-page-size", "500", "dsync.reconciler.page-weight", "5000");
    }
  }

  @Test
  void a_page_that_writes_its_new_rows_again_and_removes_and_adds_back_stored_memberships_applies_every_change() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      // The second job updates 120 of 122 users: within thresholds here.
      given().auth().oauth2(token).contentType(ContentType.JSON)
          .body("{\"thresholds\":{\"updated\":{\"rows\":1000,\"percent\":0}}}")
          .put("/api/v1/directories/" + src.directory + "/rules").then().statusCode(200);
      String first = UUID.randomUUID().toString();
      src.jobStarted(first, SyncMode.INCREMENTAL);
      src.upsertGroup("eng", "Eng", first);
      src.upsertUser(Source.user("u1", "u1@x.test", "U", "One", "u1@x.test", true, "Sales"), 1, first);
      src.upsertUser(Source.user("u2", "u2@x.test", "U", "Two", "u2@x.test", true, "Sales"), 1, first);
      src.members("eng", List.of(new MemberRef("u1", "User"), new MemberRef("u2", "User")), List.of(), first);
      src.members("eng", List.of(), List.of(new MemberRef("u1", "User")), first); // a new row removed and added back, unwritten
      src.members("eng", List.of(new MemberRef("u1", "User")), List.of(), first);
      fillers(src, 1, first); // u1's second change in a later part than its first: its user and link are written by then
      src.upsertUser(Source.user("u1", "u1@x.test", "U", "One", "u1@x.test", true, "Finance"), 2, first);
      src.jobCompleted(first, SyncMode.INCREMENTAL);
      completed(token, first);

      String second = UUID.randomUUID().toString();
      src.jobStarted(second, SyncMode.INCREMENTAL);
      // Stored memberships removed and added back: u1's in the same part (its delete not yet written),
      // u2's in a later part (its delete written, so the row is new again).
      src.members("eng", List.of(), List.of(new MemberRef("u1", "User"), new MemberRef("u2", "User")), second);
      src.members("eng", List.of(new MemberRef("u1", "User")), List.of(), second);
      fillers(src, 2, second);
      src.members("eng", List.of(new MemberRef("u2", "User")), List.of(), second);
      src.jobCompleted(second, SyncMode.INCREMENTAL);
      completed(token, second);

      String groupId = probe.events(src.directory, "dsync.group.created").get(0).data().path("group").path("id").asText();
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.user.created").size() == 122);
      List<String> userIds = probe.events(src.directory, "dsync.user.created").stream()
          .filter(e -> e.data().path("user").path("userName").asText().startsWith("u"))
          .map(e -> e.data().path("user").path("id").asText()).toList();
      assertThat(userIds).hasSize(2);
      for (String userId : userIds) {
        JsonPath user = given().auth().oauth2(token).get("/api/v1/identities/" + userId).then().statusCode(200).extract().jsonPath();
        assertThat(user.getList("groups")).as("groups of %s", user.getString("user.userName")).containsExactly(groupId);
        if ("u1@x.test".equals(user.getString("user.userName"))) {
          assertThat(user.getLong("provenance.'attributes.department'.sourceVersion")).isEqualTo(2);
        }
      }
    }
  }

  /** 120 users (created, then updated by a later job), enough to end a part of a page. */
  private static void fillers(Source src, long version, String job) {
    for (int i = 0; i < 120; i++) {
      src.upsertUser(Source.user("f" + i, "f" + i + "@x.test", "F", "N" + i + "v" + version, "f" + i + "@x.test", true, null), version, job);
    }
  }

  private static void completed(String token, String job) {
    await().atMost(Duration.ofSeconds(30)).until(() -> "COMPLETED".equals(
        given().auth().oauth2(token).get("/api/v1/sync-jobs/" + job).then().extract().jsonPath().getString("status")));
    JsonPath finished = given().auth().oauth2(token).get("/api/v1/sync-jobs/" + job).then().statusCode(200).extract().jsonPath();
    assertThat(finished.getLong("counters.failed")).as("changes of job %s that failed", job).isZero();
  }
}
