package dev.dsync.poller.graph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.poller.Admin;
import dev.dsync.poller.KafkaProbe;
import dev.dsync.poller.KafkaProbe.Seen;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Microsoft Graph connections end to end: admin API, the fake Graph, PostgreSQL, the outbox and Kafka. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class GraphSyncTest {

  static KafkaProbe kafka;

  @BeforeAll
  static void probe() {
    kafka = new KafkaProbe("dsync.source.changes");
  }

  @AfterAll
  static void close() {
    kafka.close();
  }

  static String connectionBody(FakeGraph graph, String secret, int pageSize) {
    return """
        {"name":"Contoso Entra","type":"microsoft-graph",
         "settings":{"tenantId":"%s","clientId":"%s","baseUrl":"%s","authorityUrl":"%s","pageSize":%d},
         "credentials":{"clientSecret":"%s"},
         "schedule":{"incrementalMinutes":10,"completeDailyAt":"02:30"}}
        """.formatted(FakeGraph.TENANT, FakeGraph.CLIENT_ID, graph.baseUrl(), graph.authorityUrl(), pageSize, secret);
  }

  static FakeGraph directory(String secret, int users) {
    FakeGraph g = new FakeGraph(secret);
    for (int i = 0; i < users; i++) {
      g.putUser(String.format("u%03d", i), "user" + i + "@contoso.com", "Given" + i, "Sur" + i, i % 2 == 0 ? "Sales" : "R&D");
    }
    g.putGroup("g-sales", "Sales");
    g.putGroup("g-all", "Everyone");
    g.putGroup("g-empty", "Empty");
    for (int i = 0; i < users; i += 2) {
      g.addMember("g-sales", String.format("u%03d", i), "User");
    }
    g.addMember("g-all", "g-sales", "Group");
    g.addMember("g-all", "u001", "User");
    return g;
  }

  static List<Seen> awaitEvents(String connection, String jobId, int atLeast) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> kafka.forJob(connection, jobId).size() >= atLeast);
    return kafka.forJob(connection, jobId);
  }

  static long count(List<Seen> events, String type) {
    return events.stream().filter(e -> e.type().equals(type)).count();
  }

  @Test
  void complete_then_incremental_emit_only_real_differences() {
    String secret = "graph-secret-" + UUID.randomUUID();
    try (FakeGraph graph = directory(secret, 25)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(graph, secret, 10));

      String job1 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job1)).isEqualTo("COMPLETED");
      // started + 25 users + 3 groups + 2 membership changes (g-sales, g-all) + completed
      List<Seen> first = awaitEvents(conn, job1, 32);
      assertThat(first.get(0).type()).isEqualTo("dsync.source.sync_job.started");
      assertThat(first.get(0).data().path("mode").asText()).isEqualTo("COMPLETE");
      assertThat(first.get(first.size() - 1).type()).isEqualTo("dsync.source.sync_job.completed");
      assertThat(count(first, "dsync.source.user.upserted")).isEqualTo(25);
      assertThat(count(first, "dsync.source.group.upserted")).isEqualTo(3);
      assertThat(first).allSatisfy(e -> {
        assertThat(e.key()).isEqualTo(conn);
        assertThat(e.tenant()).isEqualTo(tenant);
      });
      Seen u0 = first.stream().filter(e -> e.type().equals("dsync.source.user.upserted") && e.subject().equals("u000")).findFirst().orElseThrow();
      assertThat(u0.data().path("resource").path("userName").asText()).isEqualTo("user0@contoso.com");
      assertThat(u0.data().path("resource").path("name").path("familyName").asText()).isEqualTo("Sur0");
      assertThat(u0.data().path("resource").path("emails").get(0).path("value").asText()).isEqualTo("user0@contoso.com");
      assertThat(u0.data().path("resource").path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").path("department").asText()).isEqualTo("Sales");
      // Unknown attributes are kept in the Graph extension.
      assertThat(u0.data().path("resource").path(GraphNormalizer.USER_EXTENSION).path("officeLocation").asText()).isEqualTo("B1");
      assertThat(u0.data().path("sourceVersion").asLong()).isEqualTo(1);
      Seen all = first.stream().filter(e -> e.type().equals("dsync.source.group.membership_changed") && e.subject().equals("g-all")).findFirst().orElseThrow();
      assertThat(all.data().path("added").toString()).contains("{\"value\":\"g-sales\",\"type\":\"Group\"}").contains("{\"value\":\"u001\",\"type\":\"User\"}");
      Map<String, Object> counters = Admin.as(tenant).get("/api/v1/connections/" + conn + "/jobs/" + job1).then().extract().path("counters");
      assertThat(((Number) counters.get("usersUpserted")).intValue()).isEqualTo(25);
      assertThat(((Number) counters.get("pages")).intValue()).isEqualTo(4); // 3 user pages of 10, 1 group page
      assertThat(graph.tokenRequests()).isEqualTo(1); // one token, cached across every page

      // Changes at the source: one real update (partial in the delta), one touch without a difference,
      // one deletion, a member added and one removed.
      graph.updateUser("u003", Map.of("jobTitle", "Engineer", "department", "Platform"));
      graph.updateUser("u004", Map.of("givenName", "Given4"));
      graph.deleteUser("u005");
      graph.addMember("g-sales", "u007", "User");
      graph.removeMember("g-sales", "u002");

      String job2 = Admin.sync(tenant, conn, "incremental");
      assertThat(Admin.awaitJob(tenant, conn, job2)).isEqualTo("COMPLETED");
      List<Seen> second = awaitEvents(conn, job2, 5);
      assertThat(second.get(0).data().path("mode").asText()).isEqualTo("INCREMENTAL");
      assertThat(second).extracting(Seen::type).containsExactly(
          "dsync.source.sync_job.started",
          "dsync.source.user.upserted",
          "dsync.source.user.deleted",
          "dsync.source.group.membership_changed",
          "dsync.source.sync_job.completed");
      Seen updated = second.get(1);
      assertThat(updated.subject()).isEqualTo("u003");
      assertThat(updated.data().path("sourceVersion").asLong()).isEqualTo(2);
      assertThat(updated.data().path("resource").path("title").asText()).isEqualTo("Engineer");
      // The partial delta was merged: attributes Graph did not resend are still there.
      assertThat(updated.data().path("resource").path("userName").asText()).isEqualTo("user3@contoso.com");
      assertThat(updated.data().path("changedAttributes").toString())
          .isEqualTo("[\"title\",\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department\"]");
      assertThat(second.get(2).subject()).isEqualTo("u005");
      Seen membership = second.get(3);
      assertThat(membership.data().path("added").toString()).isEqualTo("[{\"value\":\"u007\",\"type\":\"User\"}]");
      // u002 left explicitly, u005's membership ended with its deletion.
      assertThat(membership.data().path("removed").toString()).contains("u002");

      // A complete run with nothing changed at the source emits nothing but its own start and end.
      String job3 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job3)).isEqualTo("COMPLETED");
      assertThat(awaitEvents(conn, job3, 2)).extracting(Seen::type)
          .containsExactly("dsync.source.sync_job.started", "dsync.source.sync_job.completed");

      // A user gone without a trace in the delta history: only a complete run finds it, as a deletion.
      graph.forgetUser("u010");
      String job4 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job4)).isEqualTo("COMPLETED");
      List<Seen> fourth = awaitEvents(conn, job4, 4);
      assertThat(fourth).extracting(Seen::type).containsExactly(
          "dsync.source.sync_job.started",
          "dsync.source.group.membership_changed",
          "dsync.source.user.deleted",
          "dsync.source.sync_job.completed");
      assertThat(fourth.get(1).data().path("removed").toString()).isEqualTo("[{\"value\":\"u010\",\"type\":\"User\"}]");
      assertThat(fourth.get(2).subject()).isEqualTo("u010");
    }
  }

  @Test
  void throttling_and_transient_errors_are_retried_honouring_retry_after() {
    String secret = "graph-secret-" + UUID.randomUUID();
    try (FakeGraph graph = directory(secret, 5)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(graph, secret, 50));
      graph.retryAfter(1);
      graph.inject(429, 503, 502);
      String job = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("COMPLETED");
      Map<String, Object> counters = Admin.as(tenant).get("/api/v1/connections/" + conn + "/jobs/" + job).then().extract().path("counters");
      assertThat(((Number) counters.get("throttled")).intValue()).isEqualTo(1);
      assertThat(((Number) counters.get("retries")).intValue()).isEqualTo(2);
      List<Long> times = graph.requestTimes();
      // The retry after the 429 waited the Retry-After second.
      assertThat(Duration.ofNanos(times.get(1) - times.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(950));
      assertThat(count(awaitEvents(conn, job, 7), "dsync.source.user.upserted")).isEqualTo(5);
    }
  }

  @Test
  void a_source_that_keeps_failing_fails_the_job_with_a_reason() {
    String secret = "graph-secret-" + UUID.randomUUID();
    try (FakeGraph graph = directory(secret, 2)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(graph, secret, 50));
      graph.retryAfter(0);
      graph.inject(503, 503, 503, 503, 503, 503, 503);
      String job = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("FAILED");
      List<Seen> events = awaitEvents(conn, job, 2);
      assertThat(events).extracting(Seen::type).containsExactly("dsync.source.sync_job.started", "dsync.source.sync_job.failed");
      assertThat(events.get(1).data().path("reason").asText()).contains("unavailable").contains("503");
      Admin.as(tenant).get("/api/v1/connections/" + conn).then().body("state", org.hamcrest.Matchers.equalTo("ERROR"));
    }
  }

  @Test
  void an_expired_delta_link_falls_back_to_a_complete_sync() {
    String secret = "graph-secret-" + UUID.randomUUID();
    try (FakeGraph graph = directory(secret, 4)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(graph, secret, 50));
      assertThat(Admin.awaitJob(tenant, conn, Admin.sync(tenant, conn, "complete"))).isEqualTo("COMPLETED");
      graph.updateUser("u001", Map.of("jobTitle", "Boss"));
      graph.expireDeltaTokens();

      String job = Admin.sync(tenant, conn, "incremental");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("FAILED");
      List<Seen> failed = awaitEvents(conn, job, 2);
      assertThat(failed.get(1).type()).isEqualTo("dsync.source.sync_job.failed");
      assertThat(failed.get(1).data().path("reason").asText()).contains("delta_expired").contains("syncStateNotFound");
      // The fallback complete job runs by itself and emits the change the delta could not.
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Admin.as(tenant).get("/api/v1/connections/" + conn + "/jobs")
          .then().extract().<List<Map<String, Object>>>path("$").stream()
          .anyMatch(j -> "delta-expired".equals(j.get("trigger")) && "COMPLETED".equals(j.get("status"))));
      String fallback = Admin.as(tenant).get("/api/v1/connections/" + conn + "/jobs").then().extract().path("find { it.trigger == 'delta-expired' }.id");
      List<Seen> events = awaitEvents(conn, fallback, 3);
      assertThat(events.get(0).data().path("mode").asText()).isEqualTo("COMPLETE");
      assertThat(events).extracting(Seen::type).containsExactly(
          "dsync.source.sync_job.started", "dsync.source.user.upserted", "dsync.source.sync_job.completed");
      assertThat(events.get(1).subject()).isEqualTo("u001");
    }
  }

  @Test
  void wrong_credentials_mark_the_connection_and_an_expired_access_token_is_refreshed() {
    String secret = "graph-secret-" + UUID.randomUUID();
    try (FakeGraph graph = directory(secret, 3)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(graph, "wrong-" + secret, 50));
      Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
          .body("ok", org.hamcrest.Matchers.equalTo(false))
          .body("checks[0].detail", org.hamcrest.Matchers.containsString("invalid_client"));
      String job = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("FAILED");
      Admin.as(tenant).get("/api/v1/connections/" + conn).then().body("state", org.hamcrest.Matchers.equalTo("INVALID_CREDENTIALS"));

      // New credentials make it usable again.
      Admin.as(tenant).body("{\"credentials\":{\"clientSecret\":\"" + secret + "\"}}").patch("/api/v1/connections/" + conn)
          .then().statusCode(200).body("state", org.hamcrest.Matchers.equalTo("ACTIVE"));
      Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200).body("ok", org.hamcrest.Matchers.equalTo(true));
      assertThat(Admin.awaitJob(tenant, conn, Admin.sync(tenant, conn, "complete"))).isEqualTo("COMPLETED");

      // Graph stops accepting the cached token: the connector fetches a new one once and carries on.
      int before = graph.tokenRequests();
      graph.revokeAccessTokens();
      graph.updateUser("u001", Map.of("jobTitle", "Boss"));
      String job2 = Admin.sync(tenant, conn, "incremental");
      assertThat(Admin.awaitJob(tenant, conn, job2)).isEqualTo("COMPLETED");
      assertThat(graph.tokenRequests()).isEqualTo(before + 1);
      assertThat(count(awaitEvents(conn, job2, 3), "dsync.source.user.upserted")).isEqualTo(1);
    }
  }
}
