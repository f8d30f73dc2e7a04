package dev.dsync.reconciler.jobs;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.source.SyncMode;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class ThresholdsTest {

  @Test
  void a_full_sync_deleting_60_percent_is_blocked_and_resume_applies_exactly_the_pending_changes() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      given().auth().oauth2(token).contentType(ContentType.JSON)
          .body("{\"thresholds\":{\"deleted\":{\"rows\":3,\"percent\":0}}}")
          .put("/api/v1/directories/" + src.directory + "/rules").then().statusCode(200);

      String job1 = UUID.randomUUID().toString();
      src.jobStarted(job1, SyncMode.COMPLETE);
      for (int i = 0; i < 10; i++) {
        src.upsertUser(Source.user("u" + i, "user" + i + "@x.test", "U", "" + i, "user" + i + "@x.test", true, null), job1);
      }
      // Staged, not applied, until the job completes.
      await().atMost(Duration.ofSeconds(20)).until(() -> job(token, job1).getString("status").equals("RUNNING"));
      assertThat(probe.events(src.directory)).isEmpty();
      src.jobCompleted(job1, SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.user.created").size() == 10);
      JsonPath done = job(token, job1);
      assertThat(done.getString("status")).isEqualTo("COMPLETED");
      assertThat(done.getLong("counters.created")).isEqualTo(10);
      assertThat(done.getLong("durationMs")).isNotNull();

      // The next complete listing sees only 4 of 10: 6 unseen deletions (60 %) > 3 allowed.
      String job2 = UUID.randomUUID().toString();
      src.jobStarted(job2, SyncMode.COMPLETE);
      for (int i = 0; i < 4; i++) {
        src.upsertUser(Source.user("u" + i, "user" + i + "@x.test", "U", "" + i, "user" + i + "@x.test", true, null), job2);
      }
      src.jobCompleted(job2, SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).until(() -> "BLOCKED".equals(job(token, job2).getString("status")));
      JsonPath blocked = job(token, job2);
      assertThat(blocked.getLong("planned.deleted")).isEqualTo(6);
      assertThat(blocked.getString("reason")).contains("deleted 6 > allowed 3");
      await().atMost(Duration.ofSeconds(20)).until(() -> probe.audit(tenant).stream().anyMatch(a -> a.data().path("action").asText().equals("sync_job.blocked")));
      assertThat(probe.events(src.directory)).hasSize(10);

      // Pending changes, paged: 4 unchanged upserts + 6 deletions.
      Set<String> deletions = new HashSet<>();
      String cursor = null;
      int total = 0;
      do {
        var req = given().auth().oauth2(token).queryParam("limit", 3);
        if (cursor != null) {
          req = req.queryParam("cursor", cursor);
        }
        JsonPath page = req.get("/api/v1/sync-jobs/" + job2 + "/changes").then().statusCode(200).extract().jsonPath();
        List<String> actions = page.getList("items.action");
        List<String> resources = page.getList("items.resourceId");
        for (int i = 0; i < actions.size(); i++) {
          if ("DELETED".equals(actions.get(i))) {
            deletions.add(resources.get(i));
          }
        }
        total += actions.size();
        cursor = page.getString("nextCursor");
      } while (cursor != null);
      assertThat(total).isEqualTo(10);
      assertThat(deletions).containsExactlyInAnyOrder("u4", "u5", "u6", "u7", "u8", "u9");

      given().auth().oauth2(token).post("/api/v1/sync-jobs/" + job2 + "/resume").then().statusCode(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 16);
      List<IdentityProbe.Seen> after = probe.events(src.directory).subList(10, probe.events(src.directory).size());
      assertThat(after).hasSize(6).allSatisfy(e -> {
        assertThat(e.type()).isEqualTo("dsync.user.updated");
        assertThat(e.data().path("user").path("state").asText()).isEqualTo("INACTIVE");
      });
      JsonPath resumed = job(token, job2);
      assertThat(resumed.getString("status")).isEqualTo("COMPLETED");
      assertThat(resumed.getLong("counters.deleted")).isEqualTo(6);
      assertThat(resumed.getLong("counters.unchanged")).isEqualTo(4);
      assertThat(resumed.getString("decidedBy")).isEqualTo("admin@" + tenant);
      given().auth().oauth2(token).post("/api/v1/sync-jobs/" + job2 + "/resume").then().statusCode(409);
      // Sequences stay gap-free and ordered per directory.
      List<Long> seqs = probe.events(src.directory).stream().map(IdentityProbe.Seen::sequence).toList();
      for (int i = 1; i < seqs.size(); i++) {
        assertThat(seqs.get(i)).isEqualTo(seqs.get(i - 1) + 1);
      }
    }
  }

  @Test
  void an_empty_complete_listing_is_blocked_even_under_the_row_limit_and_cancel_discards_it() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      for (int i = 0; i < 5; i++) {
        src.upsertUser(Source.user("p" + i, "p" + i + "@x.test", "P", "" + i, "p" + i + "@x.test", true, null), null);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 5);
      String job = UUID.randomUUID().toString();
      src.jobStarted(job, SyncMode.COMPLETE);
      src.jobCompleted(job, SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).until(() -> "BLOCKED".equals(job(token, job).getString("status")));
      assertThat(job(token, job).getString("reason")).contains("all 5 managed");

      given().auth().oauth2(token).post("/api/v1/sync-jobs/" + job + "/cancel").then().statusCode(200);
      assertThat(job(token, job).getString("status")).isEqualTo("CANCELLED");
      given().auth().oauth2(token).get("/api/v1/sync-jobs/" + job + "/changes").then().statusCode(200).extract().jsonPath().getList("items").isEmpty();
      // Nothing of the job was applied: later changes flow and the five stay active.
      src.upsertUser(Source.user("p9", "p9@x.test", "P", "9", "p9@x.test", true, null), null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 6);
      assertThat(probe.events(src.directory)).allSatisfy(e -> assertThat(e.type()).isEqualTo("dsync.user.created"));
      given().auth().oauth2(token).queryParam("directoryId", src.directory).queryParam("state", "ACTIVE")
          .get("/api/v1/identities").then().statusCode(200).extract().jsonPath().getList("items").size();
      assertThat(given().auth().oauth2(token).queryParam("directoryId", src.directory).queryParam("state", "ACTIVE")
          .get("/api/v1/identities").then().statusCode(200).extract().jsonPath().getList("items")).hasSize(6);
    }
  }

  @Test
  void a_push_directory_over_its_deletion_window_is_paused_until_resumed() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      given().auth().oauth2(token).contentType(ContentType.JSON)
          .body("{\"thresholds\":{\"windowDeletions\":{\"rows\":2,\"percent\":0},\"window\":\"PT10M\"}}")
          .put("/api/v1/directories/" + src.directory + "/rules").then().statusCode(200);
      for (int i = 0; i < 5; i++) {
        src.upsertUser(Source.user("w" + i, "w" + i + "@x.test", "W", "" + i, "w" + i + "@x.test", true, null), null);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 5);
      for (int i = 0; i < 4; i++) {
        src.deleteUser("w" + i, null);
      }
      src.upsertUser(Source.user("w9", "w9@x.test", "W", "9", "w9@x.test", true, null), null);
      await().atMost(Duration.ofSeconds(30)).until(() -> given().auth().oauth2(token).queryParam("directoryId", src.directory)
          .queryParam("status", "BLOCKED").get("/api/v1/sync-jobs").then().extract().jsonPath().getList("items").size() == 1);
      // Two deletions went through; the third paused the directory and everything after it is held.
      JsonPath page = given().auth().oauth2(token).queryParam("directoryId", src.directory).get("/api/v1/sync-jobs").then().extract().jsonPath();
      String pushJob = page.getString("items[0].id");
      assertThat(page.getString("items[0].kind")).isEqualTo("PUSH");
      await().atMost(Duration.ofSeconds(20)).until(() -> given().auth().oauth2(token).get("/api/v1/sync-jobs/" + pushJob + "/changes")
          .then().extract().jsonPath().getList("items").size() == 3);
      await().atMost(Duration.ofSeconds(20)).until(() -> probe.events(src.directory).size() >= 7);
      assertThat(probe.events(src.directory)).hasSize(7);

      given().auth().oauth2(token).post("/api/v1/sync-jobs/" + pushJob + "/resume").then().statusCode(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 10);
      assertThat(probe.events(src.directory).get(9).type()).isEqualTo("dsync.user.created");
    }
  }

  @Test
  void deactivations_count_as_deletions_in_the_push_window_as_okta_and_entra_deprovision_by_active_false() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      given().auth().oauth2(token).contentType(ContentType.JSON)
          .body("{\"thresholds\":{\"windowDeletions\":{\"rows\":2,\"percent\":0},\"window\":\"PT10M\"}}")
          .put("/api/v1/directories/" + src.directory + "/rules").then().statusCode(200);
      for (int i = 0; i < 5; i++) {
        src.upsertUser(Source.user("d" + i, "d" + i + "@x.test", "D", "" + i, "d" + i + "@x.test", true, null), null);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 5);
      // Two deactivations fit the window; a title change of an already inactive user is an update, not a third.
      src.upsertUser(Source.user("d0", "d0@x.test", "D", "0", "d0@x.test", false, null), null);
      src.upsertUser(Source.user("d1", "d1@x.test", "D", "1", "d1@x.test", false, null), null);
      src.upsertUser(Source.user("d1", "d1@x.test", "D", "1", "d1@x.test", false, "Sales"), null);
      src.upsertUser(Source.user("d2", "d2@x.test", "D", "2", "d2@x.test", false, null), null);
      await().atMost(Duration.ofSeconds(30)).until(() -> given().auth().oauth2(token).queryParam("directoryId", src.directory)
          .queryParam("status", "BLOCKED").get("/api/v1/sync-jobs").then().extract().jsonPath().getList("items").size() == 1);
      String pushJob = given().auth().oauth2(token).queryParam("directoryId", src.directory).get("/api/v1/sync-jobs")
          .then().extract().jsonPath().getString("items[0].id");
      JsonPath held = given().auth().oauth2(token).get("/api/v1/sync-jobs/" + pushJob + "/changes").then().extract().jsonPath();
      assertThat(held.getList("items")).hasSize(1);
      await().atMost(Duration.ofSeconds(20)).until(() -> probe.events(src.directory).size() >= 8);
      assertThat(probe.events(src.directory)).hasSize(8);
      assertThat(given().auth().oauth2(token).queryParam("directoryId", src.directory).queryParam("state", "active")
          .get("/api/v1/identities").then().extract().jsonPath().getList("items")).hasSize(3);

      given().auth().oauth2(token).post("/api/v1/sync-jobs/" + pushJob + "/resume").then().statusCode(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 9);
      assertThat(given().auth().oauth2(token).queryParam("directoryId", src.directory).queryParam("state", "active")
          .get("/api/v1/identities").then().extract().jsonPath().getList("items")).hasSize(2);
    }
  }

  @Test
  void membership_changes_of_managed_groups_count_as_updates_and_resume_applies_only_that_jobs_changes() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      given().auth().oauth2(token).contentType(ContentType.JSON)
          .body("{\"thresholds\":{\"updated\":{\"rows\":2,\"percent\":0}}}")
          .put("/api/v1/directories/" + src.directory + "/rules").then().statusCode(200);
      // A first job creates 4 groups and 4 users and fills the groups: an initial load, never blocked,
      // and the members of groups created by the job are part of their insert.
      String job1 = UUID.randomUUID().toString();
      src.jobStarted(job1, SyncMode.COMPLETE);
      for (int i = 0; i < 4; i++) {
        src.upsertUser(Source.user("m" + i, "m" + i + "@x.test", "M", "" + i, "m" + i + "@x.test", true, null), job1);
      }
      for (int i = 0; i < 4; i++) {
        src.send(dev.dsync.events.EventType.SOURCE_GROUP_UPSERTED, group("g" + i, 2, job1));
        src.send(dev.dsync.events.EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, members("g" + i, 2, List.of("m" + i), List.of(), job1));
      }
      src.jobCompleted(job1, SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).until(() -> "COMPLETED".equals(job(token, job1).getString("status")));
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory, "dsync.group.user_added").size() == 4);

      // A later job moves the members of three groups: 3 group updates > 2 allowed. Group g0's
      // change comes in two parts (as a large delta is split): still one group updated.
      String job2 = UUID.randomUUID().toString();
      src.jobStarted(job2, SyncMode.INCREMENTAL);
      src.send(dev.dsync.events.EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, members("g0", 3, List.of(), List.of("m0"), job2));
      src.send(dev.dsync.events.EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, members("g0", 3, List.of("m1"), List.of(), job2));
      for (int i = 1; i < 3; i++) {
        src.send(dev.dsync.events.EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, members("g" + i, 3, List.of("m" + ((i + 1) % 4)), List.of("m" + i), job2));
      }
      // Re-listing a group with its current member is not a change.
      src.send(dev.dsync.events.EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, members("g3", 3, List.of("m3"), List.of(), job2));
      src.jobCompleted(job2, SyncMode.INCREMENTAL);
      await().atMost(Duration.ofSeconds(30)).until(() -> "BLOCKED".equals(job(token, job2).getString("status")));
      JsonPath blocked = job(token, job2);
      assertThat(blocked.getLong("planned.updated")).isEqualTo(3);
      assertThat(blocked.getString("reason")).contains("updated 3 > allowed 2");
      int before = probe.events(src.directory).size();

      // While the directory is blocked, a pushed change is held apart; resuming the job applies
      // exactly its own pending changes (3 removals, 3 additions), not the held push change.
      src.upsertUser(Source.user("late", "late@x.test", "L", "Ate", "late@x.test", true, null), null);
      await().atMost(Duration.ofSeconds(30)).until(() -> given().auth().oauth2(token).queryParam("directoryId", src.directory)
          .queryParam("status", "BLOCKED").get("/api/v1/sync-jobs").then().extract().jsonPath().getList("items").size() == 2);
      given().auth().oauth2(token).post("/api/v1/sync-jobs/" + job2 + "/resume").then().statusCode(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= before + 6);
      List<IdentityProbe.Seen> applied = probe.events(src.directory).subList(before, probe.events(src.directory).size());
      assertThat(applied).hasSize(6);
      assertThat(applied.stream().filter(e -> e.type().equals("dsync.group.user_removed"))).hasSize(3);
      assertThat(applied.stream().filter(e -> e.type().equals("dsync.group.user_added"))).hasSize(3);
      assertThat(probe.events(src.directory, "dsync.user.created")).hasSize(4);
      JsonPath resumed = job(token, job2);
      assertThat(resumed.getString("status")).isEqualTo("COMPLETED");
      assertThat(resumed.getLong("counters.updated")).isEqualTo(4); // applied per change: g0's two parts, g1, g2
      assertThat(resumed.getLong("counters.unchanged")).isEqualTo(1);
    }
  }

  private static dev.dsync.events.source.GroupUpserted group(String id, long version, String jobId) {
    var n = dev.dsync.events.EventJson.mapper().createObjectNode();
    n.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:Group");
    n.put("id", id);
    n.put("displayName", "Group " + id);
    return new dev.dsync.events.source.GroupUpserted(id, null, version, java.time.Instant.now(), n, List.of("displayName"), null, jobId);
  }

  private static dev.dsync.events.source.GroupMembershipChanged members(String group, long version, List<String> add, List<String> remove, String jobId) {
    return new dev.dsync.events.source.GroupMembershipChanged(group, version, java.time.Instant.now(),
        add.stream().map(u -> new dev.dsync.events.source.MemberRef(u, "User")).toList(),
        remove.stream().map(u -> new dev.dsync.events.source.MemberRef(u, "User")).toList(), false, null, jobId);
  }

  private static JsonPath job(String token, String id) {
    return given().auth().oauth2(token).get("/api/v1/sync-jobs/" + id).then().extract().jsonPath();
  }
}
