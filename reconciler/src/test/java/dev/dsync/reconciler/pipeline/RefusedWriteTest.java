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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A write PostgreSQL refuses for the change's own data (here a duplicate key, raised by a trigger
 * for resources named {@code refused-*}) is kept in failed_event, and the directory goes on: it
 * was retried as a whole forever, holding the directory and the consumer's partition.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class RefusedWriteTest {

  @Inject Pool pool;

  @BeforeEach
  void refuseSomeLinks() {
    sql("create or replace function refuse_test_links() returns trigger language plpgsql as $$ begin"
        + " if new.resource_id like 'refused-%' then raise exception 'duplicate key value (test trigger)' using errcode = 'unique_violation'; end if;"
        + " return new; end $$");
    sql("drop trigger if exists refuse_test_links on source_link"); // left by a run killed mid-test
    sql("create trigger refuse_test_links before insert or update on source_link for each row execute function refuse_test_links()");
  }

  @AfterEach
  void acceptThemAgain() {
    sql("drop trigger if exists refuse_test_links on source_link");
    sql("drop function if exists refuse_test_links()");
  }

  @Test
  void a_pushed_user_whose_link_is_refused_is_kept_as_failed_and_the_next_change_applies() {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      String reason = FailedChanges.pushedBeforeAGoodOne(
          pool, src, probe, Source.user("refused-1", "refused@x.test", "Re", "Fused", "refused@x.test", true, null));
      assertThat(reason).contains("duplicate key");
    }
  }

  @Test
  void a_job_change_whose_write_is_refused_is_kept_as_failed_and_the_rest_of_the_job_applies() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant)) {
      String id = UUID.randomUUID().toString();
      src.jobStarted(id, SyncMode.COMPLETE);
      src.upsertUser(Source.user("before", "before@x.test", "B", "F", "before@x.test", true, null), id);
      UUID refused = src.upsertUser(Source.user("refused-2", "refused2@x.test", "R", "F", "refused2@x.test", true, null), id);
      src.upsertUser(Source.user("after", "after@x.test", "A", "F", "after@x.test", true, null), id);
      src.jobCompleted(id, SyncMode.COMPLETE);

      await().atMost(Duration.ofSeconds(30)).until(() -> "COMPLETED".equals(job(token, id).getString("status")));
      JsonPath done = job(token, id);
      assertThat(done.getLong("counters.created")).isEqualTo(2);
      assertThat(done.getLong("counters.failed")).isEqualTo(1);
      assertThat(FailedChanges.reason(pool, refused)).contains("duplicate key");
    }
  }

  @Test
  void only_refusals_of_the_data_count_as_a_change_that_can_never_apply() {
    assertThat(Reconciler.refusedByDatabase(new io.vertx.pgclient.PgException("dup", "ERROR", "23505", null))).isTrue();
    assertThat(Reconciler.refusedByDatabase(new io.vertx.pgclient.PgException("range", "ERROR", "22008", null))).isTrue();
    // A deadlock, a serialization failure or a lost connection can go away on a retry.
    assertThat(Reconciler.refusedByDatabase(new io.vertx.pgclient.PgException("deadlock", "ERROR", "40P01", null))).isFalse();
    assertThat(Reconciler.refusedByDatabase(new io.vertx.pgclient.PgException("gone", "FATAL", "57P01", null))).isFalse();
    assertThat(Reconciler.refusedByDatabase(new IllegalStateException("not a database error"))).isFalse();
  }

  private void sql(String statement) {
    pool.query(statement).execute().await().atMost(Duration.ofSeconds(10));
  }
}
