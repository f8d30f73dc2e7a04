package dev.dsync.reconciler.jobs;

import static dev.dsync.reconciler.SyncJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventType;
import dev.dsync.events.source.SyncMode;
import dev.dsync.events.source.UserUpserted;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import dev.dsync.reconciler.pipeline.SourceChangesConsumer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A job's changes that one transaction stages are stored in one batch row; pages keep their limits
 * (test page size 4) whatever the rows hold. The consumer is stopped while a job is published, so
 * that it takes the job's changes in one batch.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class StagedBatchesTest {

  @Inject HaltingJobPageCheckpoint halt;
  @Inject dev.dsync.reconciler.pipeline.Reconciler reconciler;
  @Inject SyncJobService jobs;
  @Inject SourceChangesConsumer consumer;
  @Inject io.vertx.mutiny.sqlclient.Pool pool;

  @Test
  void a_batch_row_is_listed_change_by_change_applied_in_pages_of_four_and_resumed_inside_it_after_a_crash() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      String job = UUID.randomUUID().toString();
      stageUsers(src, job, "b", 10);
      assertThat(rows(job)).singleElement().satisfies(r -> {
        assertThat(r.getInteger(1)).isEqualTo(10);
        assertThat(r.getBoolean(2)).as("a batch row").isTrue();
        assertThat(r.getInteger(3)).isZero();
      });

      // The running job's pending changes, three at a time: the pages end inside the row.
      List<String> cursors = new ArrayList<>();
      assertThat(pending(token, job, 3, cursors)).containsExactlyElementsOf(IntStream.range(0, 10).mapToObj(i -> "b" + i).toList());
      assertThat(cursors).hasSize(3).allSatisfy(c -> assertThat(c).matches("\\d+\\.\\d+"));

      int halts = halt.halts();
      halt.arm();
      src.jobCompleted(job, SyncMode.COMPLETE);
      // The first page (4 of the row's 10 changes) committed, then the process "died".
      await().atMost(Duration.ofSeconds(30)).until(() -> halt.halts() == halts + 1 && !consumer.running());
      assertThat(job(token, job).getLong("counters.created")).isEqualTo(4);
      assertThat(rows(job)).singleElement().satisfies(r -> assertThat(r.getInteger(3)).as("applied").isEqualTo(4));
      assertThat(pending(token, job, 4, new ArrayList<>())).containsExactly("b4", "b5", "b6", "b7", "b8", "b9");

      consumer.start();
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "COMPLETED".equals(job(token, job).getString("status")));
      assertThat(job(token, job).getLong("counters.created")).isEqualTo(10);
      assertThat(halt.pages(job)).as("pages of 4, 4 and 2").isEqualTo(3);
      assertThat(rows(job)).isEmpty();
      var events = eventsInOrder(probe, src.directory, 10);
      assertThat(userNames(events)).containsExactlyElementsOf(IntStream.range(0, 10).mapToObj(i -> "b" + i + "@x.test").toList());
    } finally {
      consumer.start();
    }
  }

  @Test
  void a_page_that_takes_the_rest_of_one_batch_row_and_part_of_the_next_deletes_the_first_and_resumes_inside_the_second() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      String job = UUID.randomUUID().toString();
      consumer.stop();
      src.jobStarted(job, SyncMode.COMPLETE);
      users(src, job, "r", 10, 1);
      for (int g = 0; g < 9; g++) {
        src.upsertGroup("g" + g, "Group " + g, job);
      }
      consumer.start();
      // The test's transactions end at a weight of 12: the start, r0-r9 and g0 (too few for a batch
      // row: a single one), then g1-g8.
      awaitStaged(job, 19);
      assertThat(rows(job)).extracting(r -> r.getInteger(1)).containsExactly(10, 1, 8);

      // Pages: r0-r3 | r4-r7 | r8, r9, g0, g1 (the crash after it) | g2-g5 | g6-g8.
      int halts = halt.halts();
      halt.arm(3);
      src.jobCompleted(job, SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).until(() -> halt.halts() == halts + 1 && !consumer.running());
      assertThat(rows(job)).singleElement().satisfies(r -> {
        assertThat(r.getInteger(1)).as("the row of g1-g8").isEqualTo(8);
        assertThat(r.getInteger(3)).as("applied").isEqualTo(1);
      });
      assertThat(pending(token, job, 4, new ArrayList<>())).containsExactly("g2", "g3", "g4", "g5", "g6", "g7", "g8");

      consumer.start();
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "COMPLETED".equals(job(token, job).getString("status")));
      assertThat(halt.pages(job)).isEqualTo(5);
      var events = eventsInOrder(probe, src.directory, 19);
      assertThat(events.stream().map(IdentityProbe.Seen::type).toList())
          .containsExactlyElementsOf(java.util.stream.Stream.concat(
              java.util.Collections.nCopies(10, "dsync.user.created").stream(), java.util.Collections.nCopies(9, "dsync.group.created").stream()).toList());
      assertThat(userNames(events.subList(0, 10))).containsExactlyElementsOf(IntStream.range(0, 10).mapToObj(i -> "r" + i + "@x.test").toList());
    } finally {
      consumer.start();
    }
  }

  @Test
  void a_page_read_ahead_is_not_applied_once_another_applier_took_its_changes() throws Throwable {
    // Two appliers may apply one job page by page (the consumer of one replica, the sweep of
    // another). One reads its next page ahead before its page commits; if the other applies that
    // page meanwhile, the copy read ahead must not be applied again.
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      String job = UUID.randomUUID().toString();
      stageUsers(src, job, "z", 14);
      // z0-z10 in a batch row (the test's transactions end at a weight of 12), z11-z13 single rows.
      List<Row> staged = rows(job);
      assertThat(staged).extracting(r -> r.getInteger(1)).containsExactly(11, 1, 1, 1);
      int halts = halt.halts();
      halt.arm();
      src.jobCompleted(job, SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).until(() -> halt.halts() == halts + 1 && !consumer.running()); // z0-z3 applied

      // This applier applies z4-z7 and reads z8-z11 ahead.
      StagedCursor cursor = new StagedCursor();
      VertxContextSupport.subscribeAndAwait(() -> reconciler.withDirectory(tenant, src.directory, job, tx -> jobs.applyPage(tx, job, 4, cursor)));
      cursor.pageCommitted();
      // Another applies z8-z11 meanwhile (what its page leaves of the staged rows).
      pool.preparedQuery("delete from staged_change where job_id = $1 and id <= $2").execute(Tuple.of(job, staged.get(1).getLong(0)))
          .await().atMost(Duration.ofSeconds(5));
      boolean last = VertxContextSupport.subscribeAndAwait(
          () -> reconciler.withDirectory(tenant, src.directory, job, tx -> jobs.applyPage(tx, job, 4, cursor)));

      assertThat(last).isTrue();
      assertThat(job(token, job).getString("status")).isEqualTo("COMPLETED");
      var events = eventsInOrder(probe, src.directory, 10);
      assertThat(userNames(events)).containsExactly(
          "z0@x.test", "z1@x.test", "z2@x.test", "z3@x.test", "z4@x.test", "z5@x.test", "z6@x.test", "z7@x.test", "z12@x.test", "z13@x.test");
    } finally {
      consumer.start();
    }
  }

  @Test
  void a_change_inside_a_batch_row_that_cannot_apply_is_taken_out_alone() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      String job = UUID.randomUUID().toString();
      consumer.stop();
      src.jobStarted(job, SyncMode.COMPLETE);
      UUID bad = null;
      for (int i = 0; i < 8; i++) {
        if (i == 2) {
          // Parses, but has no resource: applying it fails (the third change of the row).
          bad = src.send(EventType.SOURCE_USER_UPSERTED, new UserUpserted("nores", null, 1, Instant.now(), null, List.of(), null, job));
        }
        src.upsertUser(Source.user("f" + i, "f" + i + "@x.test", "F", "" + i, "f" + i + "@x.test", true, null), job);
      }
      src.jobCompleted(job, SyncMode.COMPLETE);
      consumer.start();

      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "COMPLETED".equals(job(token, job).getString("status")));
      JsonPath done = job(token, job);
      assertThat(done.getLong("counters.created")).isEqualTo(8);
      assertThat(done.getLong("counters.failed")).isEqualTo(1);
      assertThat(userNames(eventsInOrder(probe, src.directory, 8)))
          .containsExactlyElementsOf(IntStream.range(0, 8).mapToObj(i -> "f" + i + "@x.test").toList());
      List<String> failed = pool.preparedQuery("select event_id::text from failed_event where directory_id = $1")
          .execute(Tuple.of(src.directory)).await().atMost(Duration.ofSeconds(5)).stream().map(r -> r.getString(0)).toList();
      assertThat(failed).containsExactly(String.valueOf(bad));
    } finally {
      consumer.start();
    }
  }

  @Test
  void a_complete_listing_in_batch_rows_is_blocked_over_the_threshold_keeps_its_rows_and_a_cursor_taken_while_it_ran_goes_on() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      given().auth().oauth2(token).contentType(ContentType.JSON)
          .body("{\"thresholds\":{\"deleted\":{\"rows\":3,\"percent\":0}}}")
          .put("/api/v1/directories/" + src.directory + "/rules").then().statusCode(200);
      String first = UUID.randomUUID().toString();
      src.jobStarted(first, SyncMode.COMPLETE);
      users(src, first, "u", 20, 1);
      src.jobCompleted(first, SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "COMPLETED".equals(job(token, first).getString("status")));

      // The next listing names 8 of the 20 (u0, u2, ..., u14), two of them changed (u4, u10): the
      // other 12 are deletions, 3 allowed.
      String job = UUID.randomUUID().toString();
      consumer.stop();
      src.jobStarted(job, SyncMode.COMPLETE);
      for (int i = 0; i < 16; i += 2) {
        String family = i == 4 || i == 10 ? "Changed" : "" + i;
        src.upsertUser(Source.user("u" + i, "u" + i + "@x.test", "U", family, "u" + i + "@x.test", true, null), job);
      }
      consumer.start();
      awaitStaged(job, 8);
      long batchRow = rows(job).get(0).getLong(0);
      assertThat(rows(job)).singleElement().satisfies(r -> assertThat(r.getBoolean(2)).as("a batch row").isTrue());

      // A client reads the running job's first three changes, then the job completes and is blocked.
      JsonPath running = given().auth().oauth2(token).queryParam("limit", 3).get("/api/v1/sync-jobs/" + job + "/changes")
          .then().statusCode(200).extract().jsonPath();
      assertThat(running.getList("items.resourceId")).containsExactly("u0", "u2", "u4");
      String cursor = running.getString("nextCursor");
      assertThat(cursor).isEqualTo(batchRow + ".3");
      src.jobCompleted(job, SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "BLOCKED".equals(job(token, job).getString("status")));
      assertThat(job(token, job).getLong("planned.deleted")).isEqualTo(12);
      assertThat(job(token, job).getLong("planned.updated")).isEqualTo(2);

      // The batch row is kept, its changes' planned actions beside it (planned over two pages of 4).
      List<Row> kept = rows(job);
      assertThat(kept).hasSize(13);
      assertThat(kept.get(0).getLong(0)).isEqualTo(batchRow);
      assertThat(kept.subList(1, 13)).allSatisfy(r -> assertThat(r.getBoolean(2)).as("a single row").isFalse());
      String[] actions = pool.preparedQuery("select actions from staged_change where id = $1").execute(Tuple.of(batchRow))
          .await().atMost(Duration.ofSeconds(5)).iterator().next().getArrayOfStrings(0);
      assertThat(actions).containsExactly(null, null, "UPDATED", null, null, "UPDATED", null, null);

      // The cursor taken while the job ran goes on where it was: no change twice, none left out.
      List<String> resources = new ArrayList<>();
      List<String> planned = new ArrayList<>();
      listFrom(token, job, 3, cursor, resources, planned, new ArrayList<>());
      assertThat(resources.subList(0, 5)).containsExactly("u6", "u8", "u10", "u12", "u14");
      assertThat(resources.subList(5, 17)).containsExactlyInAnyOrder("u1", "u3", "u5", "u7", "u9", "u11", "u13", "u15", "u16", "u17", "u18", "u19");
      assertThat(planned.subList(0, 5)).containsExactly(null, null, "UPDATED", null, null);
      assertThat(planned.subList(5, 17)).containsOnly("DELETED");
      assertThat(pending(token, job, 20, new ArrayList<>())).hasSize(20);

      given().auth().oauth2(token).post("/api/v1/sync-jobs/" + job + "/resume").then().statusCode(200);
      JsonPath resumed = job(token, job);
      assertThat(resumed.getString("status")).isEqualTo("COMPLETED");
      assertThat(resumed.getLong("counters.deleted")).isEqualTo(12);
      assertThat(resumed.getLong("counters.updated")).isEqualTo(2);
      assertThat(resumed.getLong("counters.unchanged")).isEqualTo(6);
      await().atMost(Duration.ofSeconds(20)).until(() -> probe.events(src.directory).size() >= 34);
      assertThat(probe.events(src.directory)).hasSize(34);
      assertThat(rows(job)).isEmpty();
    } finally {
      consumer.start();
    }
  }

  @Test
  void the_not_listed_check_of_a_complete_sync_joins_the_listed_ids_once_instead_of_scanning_them_per_resource() {
    // Run once per complete sync over every in-scope resource of the directory: as a subplan per
    // resource it would unnest all of the job's batch rows for each (quadratic in the directory).
    String plan = pool.preparedQuery("explain (format json) " + SyncJobService.STAGE_UNSEEN)
        .execute(Tuple.from(new Object[] {"job-x", "dsync.reconciler.unseen.user", "dir-x", "user",
            EventType.SOURCE_USER_UPSERTED.type(), EventType.SOURCE_USER_DELETED.type()}))
        .await().atMost(Duration.ofSeconds(5)).iterator().next().getValue(0).toString();
    assertThat(plan).doesNotContain("SubPlan");
    assertThat(plan.split("Anti", -1)).as("two anti joins").hasSize(3);
  }

  /** Publishes users {@code <prefix>0}, {@code <prefix>step}, ... below {@code to} as changes of the job. */
  private static void users(Source src, String job, String prefix, int to, int step) {
    for (int i = 0; i < to; i += step) {
      src.upsertUser(Source.user(prefix + i, prefix + i + "@x.test", prefix.toUpperCase(), "" + i, prefix + i + "@x.test", true, null), job);
    }
  }

  /** The directory's identity events, once there are {@code n}: exactly {@code n}, with sequences 1..n. */
  private static List<IdentityProbe.Seen> eventsInOrder(IdentityProbe probe, String directory, int n) {
    await().atMost(Duration.ofSeconds(20)).until(() -> probe.events(directory).size() >= n);
    var events = probe.events(directory);
    assertThat(events).hasSize(n);
    assertThat(events.stream().map(IdentityProbe.Seen::sequence).toList())
        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, n).boxed().toList());
    return events;
  }

  private static List<String> userNames(List<IdentityProbe.Seen> events) {
    return events.stream().map(e -> e.data().path("user").path("userName").asText()).toList();
  }

  /** The job's staged rows: id, changes, whether a batch row, applied. */
  /** Publishes a complete job's start and users {@code <prefix>0..n-1} while the consumer is stopped, so that it takes them in one batch, and waits until they are staged. */
  private void stageUsers(Source src, String job, String prefix, int n) {
    consumer.stop();
    src.jobStarted(job, SyncMode.COMPLETE);
    users(src, job, prefix, n, 1);
    consumer.start();
    awaitStaged(job, n);
  }

  /** Waits until the job's staged rows hold {@code n} changes. */
  private void awaitStaged(String job, int n) {
    await().atMost(Duration.ofSeconds(20)).until(() -> rows(job).stream().mapToInt(r -> r.getInteger(1)).sum() == n);
  }

  private List<Row> rows(String job) {
    List<Row> out = new ArrayList<>();
    pool.preparedQuery("select id, coalesce(changes, 1), batch is not null, applied from staged_change where job_id = $1 order by id")
        .execute(Tuple.of(job)).await().atMost(Duration.ofSeconds(5)).forEach(out::add);
    return out;
  }

  /** The job's pending changes' resource ids, read {@code limit} at a time; the cursors returned go to {@code cursors}. */
  private static List<String> pending(String token, String job, int limit, List<String> cursors) {
    List<String> resources = new ArrayList<>();
    listFrom(token, job, limit, null, resources, new ArrayList<>(), cursors);
    return resources;
  }

  /** Lists the job's pending changes from {@code cursor} (null: the start) to the end, {@code limit} at a time. */
  private static void listFrom(String token, String job, int limit, String cursor, List<String> resources, List<String> actions, List<String> cursors) {
    do {
      var req = given().auth().oauth2(token).queryParam("limit", limit);
      JsonPath page = (cursor == null ? req : req.queryParam("cursor", cursor)).get("/api/v1/sync-jobs/" + job + "/changes")
          .then().statusCode(200).extract().jsonPath();
      resources.addAll(page.getList("items.resourceId"));
      actions.addAll(page.getList("items.action"));
      cursor = page.getString("nextCursor");
      if (cursor != null) {
        cursors.add(cursor);
      }
    } while (cursor != null);
  }
}
