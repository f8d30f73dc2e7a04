package dev.dsync.reconciler.pipeline;

import static dev.dsync.reconciler.SyncJobs.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.source.SyncMode;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A value PostgreSQL text can never hold (a NUL character) makes its change unreadable, kept in
 * failed_event: every statement naming it failed, and the directory was held in a retry loop.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class UnstorableValueTest {

  @Inject Pool pool;

  @Test
  void a_pushed_user_with_a_nul_character_is_kept_as_failed_and_the_next_change_applies() {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      String reason = FailedChanges.pushedBeforeAGoodOne(
          pool, src, probe, Source.user("nul", "nul\u0000@x.test", "Nul", "N", "nul@x.test", true, null));
      assertThat(reason).contains("NUL");
    }
  }

  @Test
  void a_job_change_with_a_nul_character_is_kept_as_failed_and_the_job_is_planned_and_applied() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant)) {
      String first = src.syncUsers("n", 3, SyncMode.COMPLETE);
      await().atMost(Duration.ofSeconds(30)).until(() -> "COMPLETED".equals(job(token, first).getString("status")));

      // Not an initial load: this job is planned change by change, reading ahead for each.
      String next = UUID.randomUUID().toString();
      src.jobStarted(next, SyncMode.INCREMENTAL);
      UUID bad = src.upsertUser(Source.user("nul", "n\u0000ul@x.test", "N", "U", "nul@x.test", true, null), next);
      src.upsertUser(Source.user("ok", "ok@x.test", "O", "K", "ok@x.test", true, null), next);
      src.jobCompleted(next, SyncMode.INCREMENTAL);

      await().atMost(Duration.ofSeconds(30)).until(() -> "COMPLETED".equals(job(token, next).getString("status")));
      JsonPath done = job(token, next);
      assertThat(done.getLong("planned.inserted")).isEqualTo(1);
      assertThat(done.getLong("counters.created")).isEqualTo(1);
      assertThat(FailedChanges.reason(pool, bad)).contains("NUL");
    }
  }

  @Test
  void only_a_real_nul_character_counts_not_the_escaped_text_of_one() {
    assertThat(SourceChange.hasNul("{\"a\":\"x\\u0000y\"}")).isTrue();
    assertThat(SourceChange.hasNul("{\"a\":\"x\\\\u0000y\"}")).isFalse();
    assertThat(SourceChange.hasNul("{\"a\\u0000\":1}")).isTrue();
  }
}
