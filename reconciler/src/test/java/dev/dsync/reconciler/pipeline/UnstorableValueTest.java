package dev.dsync.reconciler.pipeline;

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
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A value PostgreSQL can never store (a NUL character in text: SQLSTATE class 22, data exception)
 * makes its change fail, kept in failed_event; it does not hold the directory in a retry loop.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class UnstorableValueTest {

  @Inject Pool pool;

  @Test
  void a_pushed_user_with_a_nul_character_is_kept_as_failed_and_the_next_change_applies() {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      UUID bad = src.upsertUser(Source.user("nul", "nul\u0000@x.test", "Nul", "N", "nul@x.test", true, null), null);
      src.upsertUser(Source.user("next", "next@x.test", "Next", "N", "next@x.test", true, null), null);

      await().atMost(Duration.ofSeconds(30)).until(() -> !probe.events(src.directory).isEmpty());
      assertThat(probe.events(src.directory)).singleElement()
          .satisfies(e -> assertThat(e.data().path("user").path("userName").asText()).isEqualTo("next@x.test"));
      assertThat(reason(bad)).contains("0x00");
    }
  }

  @Test
  void a_job_change_with_a_nul_character_is_counted_failed_and_the_rest_of_the_job_applies() {
    String tenant = Tokens.newTenant();
    String token = Tokens.admin(tenant);
    try (Source src = Source.newDirectory(tenant)) {
      String job = UUID.randomUUID().toString();
      src.jobStarted(job, SyncMode.COMPLETE);
      UUID bad = null;
      for (int i = 0; i < 6; i++) {
        String userName = i == 2 ? "n\u0000" + i + "@x.test" : "n" + i + "@x.test";
        UUID id = src.upsertUser(Source.user("n" + i, userName, "N", "" + i, "n" + i + "@x.test", true, null), job);
        bad = i == 2 ? id : bad;
      }
      src.jobCompleted(job, SyncMode.COMPLETE);

      await().atMost(Duration.ofSeconds(30)).until(() -> "COMPLETED".equals(job(token, job).getString("status")));
      JsonPath done = job(token, job);
      assertThat(done.getLong("counters.created")).isEqualTo(5);
      assertThat(done.getLong("counters.failed")).isEqualTo(1);
      assertThat(reason(bad)).contains("0x00");
    }
  }

  private String reason(UUID eventId) {
    return pool.preparedQuery("select reason from failed_event where event_id = $1").execute(Tuple.of(eventId))
        .await().atMost(Duration.ofSeconds(5)).iterator().next().getString(0);
  }

  private static JsonPath job(String token, String id) {
    return given().auth().oauth2(token).get("/api/v1/sync-jobs/" + id).then().statusCode(200).extract().jsonPath();
  }
}
