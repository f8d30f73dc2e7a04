package dev.dsync.reconciler.jobs;

import static dev.dsync.reconciler.SyncJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.source.SyncMode;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A job's history tells the source's sync (started and completed on the source's clock) apart from
 * the reconciler's work on it (planned, then applied).
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class JobTimesTest {

  @Test
  void a_job_shows_the_sources_duration_and_the_time_its_apply_took() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    // A 90-second listing on the source, whose events reach the reconciler in one burst now.
    Instant sourceStart = Instant.now().minus(2, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MILLIS);
    Instant sourceEnd = sourceStart.plusSeconds(90);
    Instant before = Instant.now();
    try (Source src = Source.newDirectory(tenant)) {
      String id = UUID.randomUUID().toString();
      src.jobStarted(id, SyncMode.COMPLETE, sourceStart);
      for (int i = 0; i < 6; i++) {
        src.upsertUser(Source.user("t" + i, "t" + i + "@x.test", "T", "" + i, "t" + i + "@x.test", true, null), id);
      }
      src.jobCompleted(id, SyncMode.COMPLETE, sourceEnd);

      await().atMost(Duration.ofSeconds(30)).until(() -> "COMPLETED".equals(job(token, id).getString("status")));
      JsonPath done = job(token, id);
      assertThat(Instant.parse(done.getString("startedAt"))).isEqualTo(sourceStart);
      assertThat(Instant.parse(done.getString("completedAt"))).isEqualTo(sourceEnd);
      assertThat(done.getLong("durationMs")).isEqualTo(90_000L);

      Instant planned = Instant.parse(done.getString("plannedAt"));
      Instant applied = Instant.parse(done.getString("appliedAt"));
      assertThat(planned).isAfterOrEqualTo(before.minusSeconds(1));
      assertThat(applied).isAfterOrEqualTo(planned).isBeforeOrEqualTo(Instant.now().plusSeconds(1));
      assertThat(done.getLong("applyDurationMs")).isEqualTo(Duration.between(planned, applied).toMillis());
    }
  }

  @Test
  void jobs_wait_for_a_blocked_one_in_the_order_they_arrived_whatever_the_sources_clock_says() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant)) {
      given().auth().oauth2(token).contentType(ContentType.JSON)
          .body("{\"thresholds\":{\"deleted\":{\"rows\":3,\"percent\":0}}}")
          .put("/api/v1/directories/" + src.directory + "/rules").then().statusCode(200);
      String first = src.syncUsers("o", 10, SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).until(() -> "COMPLETED".equals(job(token, first).getString("status")));
      // A listing of 4 of the 10 would delete 60 %: blocked.
      String blocked = src.syncUsers("o", 4, SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).until(() -> "BLOCKED".equals(job(token, blocked).getString("status")));

      // The next job arrives after it, from a source whose clock says it started an hour earlier.
      String next = UUID.randomUUID().toString();
      src.jobStarted(next, SyncMode.INCREMENTAL, Instant.now().minus(1, ChronoUnit.HOURS));
      src.upsertUser(Source.user("o1", "o1@x.test", "O", "renamed", "o1@x.test", true, null), next);
      src.jobCompleted(next, SyncMode.INCREMENTAL);
      await().atMost(Duration.ofSeconds(30)).until(() -> "BLOCKED".equals(job(token, next).getString("status")));
      assertThat(job(token, next).getString("reason")).contains(blocked);
    }
  }
}
