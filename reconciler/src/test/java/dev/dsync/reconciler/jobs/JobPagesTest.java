package dev.dsync.reconciler.jobs;

import static io.restassured.RestAssured.given;
import static dev.dsync.reconciler.SyncJobs.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventType;
import dev.dsync.events.source.MemberRef;
import dev.dsync.events.source.SyncMode;
import dev.dsync.events.source.UserUpserted;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import dev.dsync.reconciler.pipeline.DirectoryBusyException;
import dev.dsync.reconciler.pipeline.Reconciler;
import dev.dsync.reconciler.pipeline.SourceChangesConsumer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.path.json.JsonPath;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A job within thresholds is applied a page per transaction (test page size 4). */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class JobPagesTest {

  @Inject HaltingJobPageCheckpoint halt;
  @Inject SourceChangesConsumer consumer;
  @Inject Reconciler reconciler;
  @Inject io.vertx.mutiny.sqlclient.Pool pool;

  @Test
  void a_crash_between_pages_resumes_after_the_last_committed_page_and_the_directory_waits_for_the_job() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      String job = UUID.randomUUID().toString();
      src.jobStarted(job, SyncMode.COMPLETE);
      for (int i = 0; i < 10; i++) {
        src.upsertUser(Source.user("j" + i, "j" + i + "@x.test", "J", "" + i, "j" + i + "@x.test", true, null), job);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> "RUNNING".equals(job(token, job).getString("status")));
      halt.arm();
      src.jobCompleted(job, SyncMode.COMPLETE);
      // A push of the same directory right behind the job: it must come after all of the job's changes.
      src.upsertUser(Source.user("p", "p@x.test", "P", "P", "p@x.test", true, null), null);

      // The first page (4 users) committed, then the process "died".
      await().atMost(Duration.ofSeconds(30)).until(() -> halt.halts() == 1 && !consumer.running());
      JsonPath half = job(token, job);
      assertThat(half.getString("status")).isEqualTo("APPLYING");
      assertThat(half.getLong("counters.created")).isEqualTo(4);
      await().atMost(Duration.ofSeconds(20)).until(() -> probe.events(src.directory).size() >= 4);
      // Nothing else of the directory may be applied in between (admin APIs answer 409).
      assertThatThrownBy(() -> VertxContextSupport.subscribeAndAwait(
              () -> reconciler.withDirectory(tenant, src.directory, tx -> Uni.createFrom().voidItem())))
          .isInstanceOf(DirectoryBusyException.class);

      consumer.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 11);
      JsonPath done = job(token, job);
      assertThat(done.getString("status")).isEqualTo("COMPLETED");
      assertThat(done.getLong("counters.created")).isEqualTo(10);
      var events = probe.events(src.directory);
      assertThat(events).hasSize(11);
      assertThat(events.stream().map(e -> e.data().path("user").path("userName").asText()).distinct().count()).isEqualTo(11);
      assertThat(events.stream().map(IdentityProbe.Seen::sequence).toList()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
      assertThat(events.get(10).data().path("user").path("userName").asText()).isEqualTo("p@x.test");
      assertThat(given().auth().oauth2(token).get("/api/v1/sync-jobs/" + job + "/changes").then().statusCode(200)
          .extract().jsonPath().getList("items")).isEmpty();
    } finally {
      consumer.start();
    }
  }

  @Test
  void a_page_ends_early_before_a_membership_change_that_would_take_it_past_the_weight_limit() {
    // Test limits: 4 changes or a weight of 12 per page; a membership change of 8 members weighs 9.
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      String job = UUID.randomUUID().toString();
      src.jobStarted(job, SyncMode.COMPLETE);
      for (int i = 0; i < 6; i++) {
        src.upsertUser(Source.user("w" + i, "w" + i + "@x.test", "W", "" + i, "w" + i + "@x.test", true, null), job);
      }
      src.upsertGroup("team", "Team", job);
      for (int m = 0; m < 3; m++) {
        List<MemberRef> added = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          added.add(new MemberRef(m == 0 && i < 6 ? "w" + i : "later" + m + "-" + i, "User"));
        }
        src.members("team", added, List.of(), job);
      }
      src.jobCompleted(job, SyncMode.COMPLETE);

      await().atMost(Duration.ofSeconds(30)).until(() -> "COMPLETED".equals(job(token, job).getString("status")));
      // Pages: 4 users | 2 users, the group, the first membership change (weight 12) | the second
      // change alone (9 + 9 > 12) | the third. By count alone the last two would share a page.
      assertThat(halt.pages(job)).isEqualTo(4);
      // Only the first change's 6 members are known users: 6 users, the group, 6 memberships.
      await().atMost(Duration.ofSeconds(20)).until(() -> probe.events(src.directory).size() >= 13);
      var events = probe.events(src.directory);
      assertThat(events.stream().filter(e -> e.type().equals("dsync.group.user_added")).count()).isEqualTo(6);
      assertThat(events.stream().map(IdentityProbe.Seen::sequence).toList())
          .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 13).boxed().toList());
    }
  }

  @Test
  void changes_that_cannot_apply_are_counted_failed_and_the_rest_of_the_job_and_the_directory_go_on() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      String job = UUID.randomUUID().toString();
      src.jobStarted(job, SyncMode.COMPLETE);
      src.upsertUser(Source.user("f0", "f0@x.test", "F", "0", "f0@x.test", true, null), job);
      // Parses, but names no group: applying it fails (second in the first page of 4).
      UUID noGroup = src.members(null, List.of(new MemberRef("f0", "User")), List.of(), job);
      for (int i = 1; i < 5; i++) {
        src.upsertUser(Source.user("f" + i, "f" + i + "@x.test", "F", "" + i, "f" + i + "@x.test", true, null), job);
      }
      // Parses, but has no resource: already planning it fails (counted as no action there).
      UUID noResource = src.send(EventType.SOURCE_USER_UPSERTED, new UserUpserted("nores", null, 1, Instant.now(), null, List.of(), null, job));
      src.upsertUser(Source.user("f5", "f5@x.test", "F", "5", "f5@x.test", true, null), job);
      src.jobCompleted(job, SyncMode.COMPLETE);
      src.upsertUser(Source.user("after", "after@x.test", "A", "A", "after@x.test", true, null), null);

      await().atMost(Duration.ofSeconds(30)).until(() -> "COMPLETED".equals(job(token, job).getString("status")));
      JsonPath done = job(token, job);
      assertThat(done.getLong("counters.created")).isEqualTo(6);
      assertThat(done.getLong("counters.failed")).isEqualTo(2);
      await().atMost(Duration.ofSeconds(20)).until(() -> probe.events(src.directory).size() >= 7);
      var events = probe.events(src.directory);
      assertThat(events).hasSize(7);
      assertThat(events.get(6).data().path("user").path("userName").asText()).isEqualTo("after@x.test");
      List<String> failed = pool.preparedQuery("select event_id::text from failed_event where directory_id = $1 order by event_id")
          .execute(Tuple.of(src.directory)).await().atMost(Duration.ofSeconds(5))
          .stream().map(r -> r.getString(0)).toList();
      assertThat(failed).containsExactlyInAnyOrder(noGroup.toString(), noResource.toString());
    }
  }

  @Test
  void an_initial_load_of_16_pages_or_more_is_planned_from_its_staged_counts_and_has_the_identity_tables_analyzed() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    long before = analyses();
    try (Source src = Source.newDirectory(tenant)) {
      String job = src.syncUsers("s", 70, SyncMode.COMPLETE);

      await().atMost(Duration.ofSeconds(60)).until(() -> "COMPLETED".equals(job(token, job).getString("status")));
      assertThat(halt.pages(job)).isEqualTo(18);
      JsonPath first = job(token, job);
      assertThat(first.getLong("counters.created")).isEqualTo(70);
      // Nothing was managed yet: an initial load is not classified change by change, its plan is what was staged.
      assertThat(first.getBoolean("planned.initialLoad")).isTrue();
      assertThat(first.getLong("planned.staged.'dsync.source.user.upserted'")).isEqualTo(70);
      assertThat(first.getLong("planned.population")).isZero();
      await().atMost(Duration.ofSeconds(30)).until(() -> analyses() > before);

      // The next job of the directory is planned per action again.
      String next = UUID.randomUUID().toString();
      src.jobStarted(next, SyncMode.INCREMENTAL);
      src.upsertUser(Source.user("s0", "s0@x.test", "Renamed", "0", "s0@x.test", true, null), next);
      src.upsertUser(Source.user("t0", "t0@x.test", "T", "0", "t0@x.test", true, null), next);
      src.jobCompleted(next, SyncMode.INCREMENTAL);
      await().atMost(Duration.ofSeconds(30)).until(() -> "COMPLETED".equals(job(token, next).getString("status")));
      JsonPath second = job(token, next);
      assertThat(second.getString("planned.initialLoad")).isNull();
      assertThat(second.getLong("planned.inserted")).isEqualTo(1);
      assertThat(second.getLong("planned.updated")).isEqualTo(1);
      assertThat(second.getLong("planned.population")).isEqualTo(70);
      assertThat(second.getLong("counters.created")).isEqualTo(1);
      assertThat(second.getLong("counters.updated")).isEqualTo(1);
    }
  }

  /** How often canonical_user was analyzed by hand (not by autovacuum). */
  private long analyses() {
    return pool.query("select analyze_count from pg_stat_user_tables where schemaname = current_schema() and relname = 'canonical_user'")
        .execute().await().atMost(Duration.ofSeconds(5)).iterator().next().getLong(0);
  }
}
