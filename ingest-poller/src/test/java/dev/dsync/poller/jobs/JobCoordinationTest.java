package dev.dsync.poller.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.Actor;
import dev.dsync.events.source.SyncMode;
import dev.dsync.poller.Admin;
import dev.dsync.poller.KafkaProbe;
import dev.dsync.poller.KafkaProbe.Seen;
import dev.dsync.poller.graph.FakeGraph;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replicas and crashes, simulated with a second lease owner in the same JVM: both coordinate only
 * through PostgreSQL, exactly as two pods would.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class JobCoordinationTest {

  static KafkaProbe kafka;

  @Inject SyncWorker worker;
  @Inject SyncJobs jobs;
  @Inject SyncScheduler scheduler;
  @Inject Pool pool;

  @BeforeAll
  static void probe() {
    kafka = new KafkaProbe("dsync.source.changes");
  }

  @AfterAll
  static void close() {
    kafka.close();
  }

  static FakeGraph graph(String secret, int users) {
    FakeGraph g = new FakeGraph(secret);
    for (int i = 0; i < users; i++) {
      g.putUser(String.format("u%03d", i), "user" + i + "@contoso.com", "Given" + i, "Sur" + i, "Sales");
    }
    g.putGroup("g1", "One");
    return g;
  }

  static String body(FakeGraph g, String secret) {
    return """
        {"name":"Entra","type":"microsoft-graph",
         "settings":{"tenantId":"%s","clientId":"%s","baseUrl":"%s","authorityUrl":"%s","pageSize":10},
         "credentials":{"clientSecret":"%s"}}
        """.formatted(FakeGraph.TENANT, FakeGraph.CLIENT_ID, g.baseUrl(), g.authorityUrl(), secret);
  }

  @Test
  void a_job_whose_replica_died_resumes_from_its_last_committed_page_without_duplicates() {
    String secret = "s-" + UUID.randomUUID();
    try (FakeGraph g = graph(secret, 50)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, body(g, secret));
      // Replica A (this process's worker) stalls on the third page of users, after two committed pages.
      g.hangAt("users", 20);
      String job = Admin.sync(tenant, conn, "complete");
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> g.hits("users", 20) == 1);
      assertThat(jobRow(job)).containsEntry("status", "RUNNING").containsEntry("owner", worker.owner());

      // A is gone as far as anyone can tell: its lease runs out and replica B takes the job over.
      pool.preparedQuery("update sync_job set lease_until = now() - interval '1 second' where id = $1").execute(Tuple.of(UUID.fromString(job)))
          .await().indefinitely();
      Optional<SyncEngine.Outcome> b = worker.runOne("replica-B", UUID.fromString(job)).await().atMost(Duration.ofSeconds(60));
      assertThat(b).contains(SyncEngine.Outcome.COMPLETED);
      // B started at the checkpoint: the two committed pages were not read again.
      assertThat(g.hits("users", 0)).isEqualTo(1);
      assertThat(g.hits("users", 10)).isEqualTo(1);
      assertThat(g.hits("users", 20)).isEqualTo(2);

      // A wakes up with its stale page: its commit is fenced off and it writes nothing.
      g.release();
      Awaitility.await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> {
        List<Seen> events = kafka.forJob(conn, job);
        Map<String, Long> perUser = events.stream().filter(e -> e.type().equals("dsync.source.user.upserted"))
            .collect(Collectors.groupingBy(Seen::subject, Collectors.counting()));
        return perUser.size() == 50 && perUser.values().stream().allMatch(n -> n == 1)
            && events.stream().filter(e -> e.type().equals("dsync.source.sync_job.started")).count() == 1
            && events.stream().filter(e -> e.type().equals("dsync.source.sync_job.completed")).count() == 1;
      });
      assertThat(jobRow(job)).containsEntry("status", "COMPLETED");
    }
  }

  @Test
  void two_replicas_never_run_the_same_connection_at_once() {
    String secret = "s-" + UUID.randomUUID();
    try (FakeGraph g = graph(secret, 30)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, body(g, secret));
      UUID job = jobs.request(tenant, Actor.system("test"), UUID.fromString(conn), SyncMode.COMPLETE).await().indefinitely().id();
      // Only one job per connection can be pending or running.
      Admin.as(tenant).queryParam("mode", "complete").post("/api/v1/connections/" + conn + "/sync").then().statusCode(409)
          .contentType("application/problem+json");

      g.hangAt("users", 10);
      CompletableFuture<Optional<SyncEngine.Outcome>> a = worker.runOne("replica-A", job).subscribeAsCompletionStage();
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> g.hits("users", 10) == 1);
      // B tries while A holds the job: nothing to claim.
      assertThat(worker.runOne("replica-B", job).await().atMost(Duration.ofSeconds(10))).isEmpty();
      assertThat(worker.runOne("replica-B", null).await().atMost(Duration.ofSeconds(10))).isEmpty();
      g.release();
      assertThat(Uni.createFrom().completionStage(a).await().atMost(Duration.ofSeconds(60))).contains(SyncEngine.Outcome.COMPLETED);
      assertThat(g.maxInFlight()).isEqualTo(1);
    }
  }

  @Test
  void the_scheduler_queues_due_connections_and_runs_them() {
    String secret = "s-" + UUID.randomUUID();
    try (FakeGraph g = graph(secret, 3)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, body(g, secret));
      scheduler.tick().await().indefinitely();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
        List<Map<String, Object>> list = Admin.as(tenant).get("/api/v1/connections/" + conn + "/jobs").then().extract().path("$");
        return list.size() == 1 && "schedule".equals(list.get(0).get("trigger")) && "COMPLETE".equals(list.get(0).get("mode"))
            && "COMPLETED".equals(list.get(0).get("status"));
      });
      Admin.as(tenant).get("/api/v1/connections/" + conn).then().statusCode(200)
          .body("lastSyncAt", org.hamcrest.Matchers.notNullValue());
      // Not due again until its interval has passed.
      scheduler.tick().await().indefinitely();
      List<Object> list = Admin.as(tenant).get("/api/v1/connections/" + conn + "/jobs").then().extract().path("$");
      assertThat(list).hasSize(1);
    }
  }

  private Map<String, String> jobRow(String job) {
    var row = pool.preparedQuery("select status, lease_owner from sync_job where id = $1").execute(Tuple.of(UUID.fromString(job)))
        .await().indefinitely().iterator().next();
    return Map.of("status", row.getString("status"), "owner", String.valueOf(row.getString("lease_owner")));
  }
}
