package dev.dsync.poller.scimpull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

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

/** SCIM pull connections end to end: admin API, the fake SCIM server, PostgreSQL, the outbox and Kafka. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class ScimPullSyncTest {

  static KafkaProbe kafka;

  @BeforeAll
  static void probe() {
    kafka = new KafkaProbe("dsync.source.changes");
  }

  @AfterAll
  static void close() {
    kafka.close();
  }

  static String connectionBody(String baseUrl, String token, int pageSize) {
    return """
        {"name":"Upstream SCIM","type":"scim-pull","settings":{"baseUrl":"%s","pageSize":%d},"credentials":{"token":"%s"},
         "schedule":{"incrementalMinutes":10,"completeDailyAt":"02:30"}}
        """.formatted(baseUrl, pageSize, token);
  }

  /** {@code users} users, at most 7 per page whatever the client asks for. */
  static FakeScimServer directory(String token, int users) {
    FakeScimServer s = new FakeScimServer(token, 7);
    for (int i = 0; i < users; i++) {
      s.putUser(String.format("u%03d", i), "user" + i + "@example.com", "Given" + i, "Sur" + i, i % 2 == 0 ? "Sales" : "R&D");
    }
    s.putGroup("g-sales", "Sales");
    s.putGroup("g-all", "Everyone");
    s.putGroup("g-empty", "Empty");
    for (int i = 0; i < users; i += 2) {
      s.addMember("g-sales", String.format("u%03d", i), "User");
    }
    s.addMember("g-all", "g-sales", "Group");
    s.addMember("g-all", "u001", "User");
    return s;
  }

  static List<Seen> awaitEvents(String connection, String jobId, int atLeast) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> kafka.forJob(connection, jobId).size() >= atLeast);
    return kafka.forJob(connection, jobId);
  }

  static long count(List<Seen> events, String type) {
    return events.stream().filter(e -> e.type().equals(type)).count();
  }

  static Map<String, Object> counters(String tenant, String conn, String job) {
    return Admin.as(tenant).get("/api/v1/connections/" + conn + "/jobs/" + job).then().extract().path("counters");
  }

  @Test
  void complete_then_filtered_incremental_emit_only_real_differences_and_complete_finds_deletions() {
    String token = "scim-" + UUID.randomUUID();
    try (FakeScimServer scim = directory(token, 25)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(scim.baseUrl(), token, 10));

      String job1 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job1)).isEqualTo("COMPLETED");
      // started + 25 users + 3 groups + 2 membership changes (g-sales, g-all) + completed
      List<Seen> first = awaitEvents(conn, job1, 32);
      assertThat(first.get(0).type()).isEqualTo("dsync.source.sync_job.started");
      assertThat(first.get(first.size() - 1).type()).isEqualTo("dsync.source.sync_job.completed");
      assertThat(count(first, "dsync.source.user.upserted")).isEqualTo(25);
      assertThat(count(first, "dsync.source.group.upserted")).isEqualTo(3);
      assertThat(count(first, "dsync.source.group.membership_changed")).isEqualTo(2);
      // The server returns 7 of the 10 asked for: each page starts after what the last one returned.
      assertThat(scim.requests()).filteredOn(r -> r.startsWith("/scim/v2/Users"))
          .extracting(r -> FakeScimServer.params(r).get("startIndex")).containsExactly("1", "8", "15", "22");
      assertThat(scim.requests()).noneMatch(r -> r.contains("filter"));
      assertThat(((Number) counters(tenant, conn, job1).get("pages")).intValue()).isEqualTo(5);

      Seen u0 = first.stream().filter(e -> e.type().equals("dsync.source.user.upserted") && e.subject().equals("u000")).findFirst().orElseThrow();
      var r = u0.data().path("resource");
      assertThat(r.path("id").asText()).isEqualTo("u000");
      assertThat(r.path("externalId").asText()).isEqualTo("u000");
      assertThat(r.path("userName").asText()).isEqualTo("user0@example.com");
      assertThat(r.path("name").path("familyName").asText()).isEqualTo("Sur0");
      assertThat(r.path("emails").get(0).path("value").asText()).isEqualTo("user0@example.com");
      assertThat(r.path("active").asBoolean()).isTrue();
      assertThat(r.path(FakeScimServer.ENTERPRISE).path("department").asText()).isEqualTo("Sales");
      assertThat(r.path(FakeScimServer.ENTERPRISE).path("manager").path("value").asText()).isEqualTo("boss");
      // Unknown extensions and the upstream's own externalId are kept; meta and the derived groups are not.
      assertThat(r.path(FakeScimServer.ACME).path("badge").asText()).isEqualTo("B-u000");
      assertThat(r.path(ScimPullNormalizer.USER_EXTENSION).path("externalId").asText()).isEqualTo("hr-u000");
      assertThat(r.path("schemas").toString()).contains(FakeScimServer.ACME).contains(FakeScimServer.ENTERPRISE);
      assertThat(r.has("meta")).isFalse();
      assertThat(r.has("groups")).isFalse();
      Seen all = first.stream().filter(e -> e.type().equals("dsync.source.group.membership_changed") && e.subject().equals("g-all")).findFirst().orElseThrow();
      assertThat(all.data().path("added").toString()).contains("{\"value\":\"g-sales\",\"type\":\"Group\"}").contains("{\"value\":\"u001\",\"type\":\"User\"}");

      // At the source: a real update, a deactivation, a write without a difference, members in and out, a deletion.
      scim.updateUser("u003", "title", "Engineer");
      scim.updateUser("u004", "active", false);
      scim.touchUser("u006");
      scim.addMember("g-sales", "u007", "User");
      scim.removeMember("g-sales", "u002");
      scim.deleteUser("u005");
      int before = scim.requests().size();

      String job2 = Admin.sync(tenant, conn, "incremental");
      assertThat(Admin.awaitJob(tenant, conn, job2)).isEqualTo("COMPLETED");
      List<Seen> second = awaitEvents(conn, job2, 5);
      assertThat(second).extracting(Seen::type).containsExactly(
          "dsync.source.sync_job.started",
          "dsync.source.user.upserted",
          "dsync.source.user.upserted",
          "dsync.source.group.membership_changed",
          "dsync.source.sync_job.completed");
      assertThat(second.get(1).subject()).isEqualTo("u003");
      assertThat(second.get(1).data().path("changedAttributes").toString()).isEqualTo("[\"title\"]");
      assertThat(second.get(2).subject()).isEqualTo("u004");
      assertThat(second.get(2).data().path("resource").path("active").asBoolean()).isFalse();
      assertThat(second.get(3).data().path("added").toString()).isEqualTo("[{\"value\":\"u007\",\"type\":\"User\"}]");
      assertThat(second.get(3).data().path("removed").toString()).isEqualTo("[{\"value\":\"u002\",\"type\":\"User\"}]");
      // It read the service provider config, then asked only for what changed since the last change it saw.
      List<String> incremental = scim.requests().subList(before, scim.requests().size());
      assertThat(incremental.get(0)).isEqualTo("/scim/v2/ServiceProviderConfig");
      assertThat(incremental).filteredOn(q -> q.startsWith("/scim/v2/Users")).extracting(q -> FakeScimServer.params(q).get("filter"))
          .containsExactly("meta.lastModified gt \"2026-02-01T10:00:25Z\"");
      assertThat(incremental).filteredOn(q -> q.startsWith("/scim/v2/Groups")).allMatch(q -> q.contains("filter="));

      // A deleted user and group: SCIM lists never show them, a complete run finds them gone.
      scim.deleteGroup("g-empty");
      String job3 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job3)).isEqualTo("COMPLETED");
      List<Seen> third = awaitEvents(conn, job3, 4);
      assertThat(third).extracting(Seen::type).containsExactly(
          "dsync.source.sync_job.started",
          "dsync.source.group.deleted",
          "dsync.source.user.deleted",
          "dsync.source.sync_job.completed");
      assertThat(third.get(1).subject()).isEqualTo("g-empty");
      assertThat(third.get(2).subject()).isEqualTo("u005");
    }
  }

  @Test
  void a_server_without_filter_support_is_listed_in_full_and_only_differences_are_emitted() {
    String token = "scim-" + UUID.randomUUID();
    try (FakeScimServer scim = directory(token, 9)) {
      scim.filterSupported(false);
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(scim.baseUrl(), token, 100));
      Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
          .body("ok", equalTo(true)).body("checks[0].detail", containsString("filter not supported"));
      assertThat(Admin.awaitJob(tenant, conn, Admin.sync(tenant, conn, "complete"))).isEqualTo("COMPLETED");
      scim.updateUser("u001", "title", "Boss");
      int before = scim.requests().size();
      String job = Admin.sync(tenant, conn, "incremental");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("COMPLETED");
      List<Seen> events = awaitEvents(conn, job, 3);
      assertThat(events).extracting(Seen::type).containsExactly(
          "dsync.source.sync_job.started", "dsync.source.user.upserted", "dsync.source.sync_job.completed");
      assertThat(events.get(1).subject()).isEqualTo("u001");
      List<String> incremental = scim.requests().subList(before, scim.requests().size());
      assertThat(incremental).filteredOn(q -> q.startsWith("/scim/v2/Users")).hasSize(2).noneMatch(q -> q.contains("filter"));
    }
  }

  @Test
  void throttling_is_retried_after_retry_after() {
    String token = "scim-" + UUID.randomUUID();
    try (FakeScimServer scim = directory(token, 3)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(scim.baseUrl(), token, 100));
      scim.throttleNext(1);
      String job = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("COMPLETED");
      assertThat(((Number) counters(tenant, conn, job).get("throttled")).intValue()).isEqualTo(1);
      List<Long> times = scim.requestTimes();
      assertThat(scim.requests().get(0)).isEqualTo(scim.requests().get(1));
      assertThat(Duration.ofNanos(times.get(1) - times.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(950));
      assertThat(count(awaitEvents(conn, job, 5), "dsync.source.user.upserted")).isEqualTo(3);
    }
  }

  @Test
  void a_wrong_token_is_invalid_credentials_and_the_test_endpoint_says_what_is_wrong() {
    String token = "scim-" + UUID.randomUUID();
    try (FakeScimServer scim = directory(token, 2)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(scim.baseUrl(), "wrong-" + token, 100));
      String report = Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
          .body("ok", equalTo(false))
          .body("checks[0].name", equalTo("service provider config")).body("checks[0].ok", equalTo(true))
          .body("checks[1].name", equalTo("bearer token")).body("checks[1].ok", equalTo(false))
          .body("checks[1].detail", containsString("refused the bearer token (401)"))
          .body("checks[1].detail", containsString("replace credentials.token"))
          .extract().asString();
      assertThat(report).doesNotContain(token);
      String job = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("FAILED");
      Admin.as(tenant).get("/api/v1/connections/" + conn).then().body("state", equalTo("INVALID_CREDENTIALS"));
      assertThat(awaitEvents(conn, job, 2).get(1).data().path("reason").asText())
          .isEqualTo("invalid_credentials: the SCIM server refused the bearer token (401): issue a new one there and replace credentials.token");

      Admin.as(tenant).body("{\"credentials\":{\"token\":\"" + token + "\"}}").patch("/api/v1/connections/" + conn)
          .then().statusCode(200).body("state", equalTo("ACTIVE"));
      Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
          .body("ok", equalTo(true))
          .body("checks.name", equalTo(List.of("service provider config", "bearer token", "read users", "read groups")))
          .body("checks[2].detail", equalTo("ok, 2 in total"));

      // A base URL one level off: every check names the path that was not found.
      Admin.as(tenant).body("{\"settings\":{\"baseUrl\":\"" + scim.baseUrl() + "/v3\"}}").patch("/api/v1/connections/" + conn).then().statusCode(200);
      Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
          .body("ok", equalTo(false))
          .body("checks[0].detail", containsString("answered 404 for /scim/v2/v3/ServiceProviderConfig"))
          .body("checks[2].detail", containsString("settings.baseUrl must be the SCIM base URL"));
    }
  }

  @Test
  void invalid_settings_are_refused_with_each_field() {
    String tenant = Admin.newTenant();
    Admin.as(tenant).body("{\"name\":\"x\",\"type\":\"scim-pull\",\"settings\":{\"baseUrl\":\"https://idp.example.com/scim/v2/Users\",\"pageSize\":0}}")
        .post("/api/v1/connections").then().statusCode(400)
        .body("errors.field", equalTo(List.of("settings.baseUrl", "credentials.token", "settings.pageSize")));
  }
  @Test
  void a_user_too_large_for_an_event_is_sent_without_its_largest_attribute_and_the_job_completes() {
    String token = "scim-" + UUID.randomUUID();
    try (FakeScimServer scim = directory(token, 3)) {
      // A base64 photo of 1.2 MB in an extension: more than an event (and a Kafka record) may hold.
      scim.updateUser("u001", FakeScimServer.ACME, Map.of("badge", "B-u001", "photo", "A".repeat(1_200_000)));
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(scim.baseUrl(), token, 10));

      String job1 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job1)).isEqualTo("COMPLETED");
      List<Seen> first = awaitEvents(conn, job1, 9);
      assertThat(count(first, "dsync.source.user.upserted")).isEqualTo(3);
      Seen u1 = first.stream().filter(e -> e.type().equals("dsync.source.user.upserted") && e.subject().equals("u001")).findFirst().orElseThrow();
      var r = u1.data().path("resource");
      assertThat(r.path(FakeScimServer.ACME).has("photo")).isFalse();
      assertThat(r.path(FakeScimServer.ACME).path("badge").asText()).isEqualTo("B-u001");
      assertThat(r.path("userName").asText()).isEqualTo("user1@example.com");
      assertThat(r.path(FakeScimServer.ENTERPRISE).path("department").asText()).isEqualTo("R&D");
      assertThat(((Number) counters(tenant, conn, job1).get("attributesDropped")).intValue()).isEqualTo(1);

      // The trimmed form is what the next listing is compared with: nothing changed, nothing sent.
      String job2 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job2)).isEqualTo("COMPLETED");
      List<Seen> second = awaitEvents(conn, job2, 2);
      assertThat(count(second, "dsync.source.user.upserted")).isZero();
      assertThat(counters(tenant, conn, job2).get("attributesDropped")).as("counted when sent, not at every listing").isNull();
    }
  }
}
