package dev.dsync.poller.okta;

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

/** Okta connections end to end: admin API, the fake Okta org, PostgreSQL, the outbox and Kafka. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OktaSyncTest {

  static final String ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

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
        {"name":"Acme Okta","type":"okta","settings":{"baseUrl":"%s","pageSize":%d,"memberPageSize":%2$d},"credentials":{"apiToken":"%s"},
         "schedule":{"incrementalMinutes":10,"completeDailyAt":"02:30"}}
        """.formatted(baseUrl, pageSize, token);
  }

  static FakeOkta org(String token, int users) {
    FakeOkta o = new FakeOkta(token);
    for (int i = 0; i < users; i++) {
      o.putUser(String.format("00u%03d", i), "user" + i + "@acme.com", "Given" + i, "Sur" + i, i % 2 == 0 ? "Sales" : "R&D");
    }
    o.putGroup("00g-sales", "Sales");
    o.putGroup("00g-all", "Everyone");
    o.putGroup("00g-empty", "Empty");
    for (int i = 0; i < users; i += 2) {
      o.addMember("00g-sales", String.format("00u%03d", i));
    }
    o.addMember("00g-all", "00u001");
    return o;
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
  void complete_then_incremental_emit_only_real_differences_and_complete_finds_deletions() {
    String token = "okta-" + UUID.randomUUID();
    try (FakeOkta okta = org(token, 25)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(okta.baseUrl(), token, 10));

      String job1 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job1)).isEqualTo("COMPLETED");
      // started + 25 users + 3 groups + membership (00g-sales over two member pages, 00g-all) + completed
      List<Seen> first = awaitEvents(conn, job1, 33);
      assertThat(first.get(0).type()).isEqualTo("dsync.source.sync_job.started");
      assertThat(first.get(first.size() - 1).type()).isEqualTo("dsync.source.sync_job.completed");
      assertThat(count(first, "dsync.source.user.upserted")).isEqualTo(25);
      assertThat(count(first, "dsync.source.group.upserted")).isEqualTo(3);
      assertThat(count(first, "dsync.source.group.membership_changed")).isEqualTo(3);
      assertThat(first).allSatisfy(e -> assertThat(e.key()).isEqualTo(conn));
      // Every next link was followed: three user pages, two member pages of 00g-sales.
      assertThat(okta.requests()).filteredOn(r -> r.startsWith("/api/v1/users?")).hasSize(3);
      assertThat(okta.requests()).filteredOn(r -> r.startsWith("/api/v1/groups/00g-sales/users")).hasSize(2)
          .last().asString().contains("after=00u018");
      assertThat(((Number) counters(tenant, conn, job1).get("pages")).intValue()).isEqualTo(8); // 3 users, 1 groups, 2 + 1 + 1 members

      Seen u0 = first.stream().filter(e -> e.type().equals("dsync.source.user.upserted") && e.subject().equals("00u000")).findFirst().orElseThrow();
      var r = u0.data().path("resource");
      assertThat(r.path("userName").asText()).isEqualTo("user0@acme.com");
      assertThat(r.path("externalId").asText()).isEqualTo("00u000");
      assertThat(r.path("active").asBoolean()).isTrue();
      assertThat(r.path("name").path("givenName").asText()).isEqualTo("Given0");
      assertThat(r.path("name").path("familyName").asText()).isEqualTo("Sur0");
      assertThat(r.path("displayName").asText()).isEqualTo("Given0 Sur0");
      assertThat(r.path("emails").get(0).path("value").asText()).isEqualTo("user0@acme.com");
      assertThat(r.path("phoneNumbers")).hasSize(1);
      assertThat(r.path("phoneNumbers").get(0).path("value").asText()).isEqualTo("+1 555 0100");
      assertThat(r.path("phoneNumbers").get(0).path("type").asText()).isEqualTo("work");
      assertThat(r.path(ENTERPRISE).path("department").asText()).isEqualTo("Sales");
      assertThat(r.path(ENTERPRISE).path("employeeNumber").asText()).isEqualTo("E-00u000");
      assertThat(r.path(ENTERPRISE).path("costCenter").asText()).isEqualTo("CC-7");
      assertThat(r.path(ENTERPRISE).path("division").asText()).isEqualTo("EMEA");
      assertThat(r.path(ENTERPRISE).path("organization").asText()).isEqualTo("Acme");
      assertThat(r.path(ENTERPRISE).path("manager").path("value").asText()).isEqualTo("00u-boss");
      assertThat(r.path(ENTERPRISE).path("manager").path("displayName").asText()).isEqualTo("Big Boss");
      // Unknown attributes are kept; volatile bookkeeping is not.
      assertThat(r.path(OktaNormalizer.USER_EXTENSION).path("badgeColour").asText()).isEqualTo("blue");
      assertThat(r.path(OktaNormalizer.USER_EXTENSION).path("status").asText()).isEqualTo("ACTIVE");
      assertThat(r.toString()).doesNotContain("lastLogin").doesNotContain("_links").doesNotContain("credentials");
      Seen sales = first.stream().filter(e -> e.type().equals("dsync.source.group.upserted") && e.subject().equals("00g-sales")).findFirst().orElseThrow();
      assertThat(sales.data().path("resource").path("displayName").asText()).isEqualTo("Sales");
      assertThat(sales.data().path("resource").path(OktaNormalizer.GROUP_EXTENSION).path("description").asText()).isEqualTo("group Sales");
      assertThat(sales.data().path("resource").path(OktaNormalizer.GROUP_EXTENSION).path("type").asText()).isEqualTo("OKTA_GROUP");
      assertThat(first.stream().filter(e -> e.type().equals("dsync.source.group.membership_changed") && e.subject().equals("00g-sales"))
          .mapToInt(e -> e.data().path("added").size()).sum()).isEqualTo(13);

      // At the source: one real update, one save without a difference, one deactivation, a member in and one out.
      okta.updateUser("00u003", Map.of("title", "Engineer", "department", "Platform"));
      okta.touchUser("00u004");
      okta.deprovision("00u005");
      okta.addMember("00g-sales", "00u007");
      okta.removeMember("00g-sales", "00u002");
      int before = okta.requests().size();

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
      assertThat(updated.subject()).isEqualTo("00u003");
      assertThat(updated.data().path("sourceVersion").asLong()).isEqualTo(2);
      assertThat(updated.data().path("changedAttributes").toString()).isEqualTo("[\"title\",\"" + ENTERPRISE + ":department\"]");
      assertThat(second.get(2).subject()).isEqualTo("00u005");
      assertThat(second.get(3).subject()).isEqualTo("00g-sales");
      assertThat(second.get(3).data().path("added").toString()).isEqualTo("[{\"value\":\"00u007\",\"type\":\"User\"}]");
      assertThat(second.get(3).data().path("removed").toString()).isEqualTo("[{\"value\":\"00u002\",\"type\":\"User\"}]");
      // It asked only for what changed since the last user the complete run saw, and re-read one member list.
      assertThat(okta.userFilters()).containsExactly("lastUpdated gt \"2026-01-05T08:00:25.000Z\"");
      List<String> incremental = okta.requests().subList(before, okta.requests().size());
      assertThat(incremental).filteredOn(q -> q.startsWith("/api/v1/users")).hasSize(1);
      assertThat(incremental).filteredOn(q -> q.startsWith("/api/v1/groups/")).hasSize(2) // 00g-sales' two member pages, no other group's
          .allMatch(q -> q.startsWith("/api/v1/groups/00g-sales/users"));

      // Nothing changed: a complete run emits only its start and end.
      String job3 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job3)).isEqualTo("COMPLETED");
      assertThat(awaitEvents(conn, job3, 2)).extracting(Seen::type)
          .containsExactly("dsync.source.sync_job.started", "dsync.source.sync_job.completed");

      // Deleted for good with no incremental run in between, and a deleted group: only a complete run sees them gone.
      okta.deprovision("00u010");
      okta.deleteUser("00u010");
      okta.deleteGroup("00g-empty");
      String job4 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job4)).isEqualTo("COMPLETED");
      List<Seen> fourth = awaitEvents(conn, job4, 5);
      assertThat(fourth).extracting(Seen::type).containsExactly(
          "dsync.source.sync_job.started",
          "dsync.source.group.deleted",
          "dsync.source.group.membership_changed",
          "dsync.source.user.deleted",
          "dsync.source.sync_job.completed");
      assertThat(fourth.get(1).subject()).isEqualTo("00g-empty");
      assertThat(fourth.get(2).data().path("removed").toString()).isEqualTo("[{\"value\":\"00u010\",\"type\":\"User\"}]");
      assertThat(fourth.get(3).subject()).isEqualTo("00u010");
    }
  }

  @Test
  void rate_limits_are_honoured_429_and_an_exhausted_window() {
    String token = "okta-" + UUID.randomUUID();
    try (FakeOkta okta = org(token, 6)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(okta.baseUrl(), token, 2));
      okta.throttleNext(2); // the first users page: 429 E0000047, X-Rate-Limit-Reset two seconds ahead
      okta.exhaustWindowAt(3); // the second users page is served with X-Rate-Limit-Remaining: 0
      String job = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("COMPLETED");
      Map<String, Object> counters = counters(tenant, conn, job);
      assertThat(((Number) counters.get("throttled")).intValue()).isEqualTo(1);
      List<Long> times = okta.requestTimes();
      List<String> requests = okta.requests();
      assertThat(requests.get(0)).isEqualTo(requests.get(1)); // the throttled page, asked again
      // The retry waited for the reset (no Retry-After: X-Rate-Limit-Reset is the only hint) ...
      assertThat(Duration.ofNanos(times.get(1) - times.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(950));
      // ... and after a response with no calls left in the window, the next call waited for the reset too.
      assertThat(Duration.ofNanos(times.get(3) - times.get(2))).isGreaterThanOrEqualTo(Duration.ofMillis(950));
      assertThat(count(awaitEvents(conn, job, 8), "dsync.source.user.upserted")).isEqualTo(6);
    }
  }

  @Test
  void a_wrong_token_is_invalid_credentials_and_the_test_endpoint_says_what_is_wrong() {
    String token = "okta-" + UUID.randomUUID();
    try (FakeOkta okta = org(token, 3)) {
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(okta.baseUrl(), "wrong-" + token, 50));
      String report = Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
          .body("ok", equalTo(false))
          .body("checks[0].name", equalTo("api token"))
          .body("checks[0].detail", containsString("401 E0000011"))
          .body("checks[0].detail", containsString("replace credentials.apiToken"))
          .extract().asString();
      assertThat(report).doesNotContain(token);
      String job = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("FAILED");
      Admin.as(tenant).get("/api/v1/connections/" + conn).then()
          .body("state", equalTo("INVALID_CREDENTIALS"))
          .body("stateReason", containsString("Okta refused the API token (401 E0000011)"));
      List<Seen> events = awaitEvents(conn, job, 2);
      assertThat(events.get(1).type()).isEqualTo("dsync.source.sync_job.failed");
      assertThat(events.get(1).data().path("reason").asText()).startsWith("invalid_credentials: Okta refused the API token");

      Admin.as(tenant).body("{\"credentials\":{\"apiToken\":\"" + token + "\"}}").patch("/api/v1/connections/" + conn)
          .then().statusCode(200).body("state", equalTo("ACTIVE"));
      Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
          .body("ok", equalTo(true)).body("checks.name", equalTo(List.of("api token", "read users", "read groups")));

      // A token whose administrator may not read groups: the check names the role it needs, and a job fails as REJECTED.
      okta.forbidGroups();
      Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
          .body("ok", equalTo(false))
          .body("checks[1].ok", equalTo(true))
          .body("checks[2].name", equalTo("read groups"))
          .body("checks[2].detail", containsString("403 E0000006"))
          .body("checks[2].detail", containsString("Read-Only Administrator"));
      assertThat(Admin.awaitJob(tenant, conn, Admin.sync(tenant, conn, "complete"))).isEqualTo("FAILED");
      Admin.as(tenant).get("/api/v1/connections/" + conn).then().body("state", equalTo("ERROR"));
    }
  }

  @Test
  void an_unreachable_org_is_named_in_the_test() {
    String tenant = Admin.newTenant();
    String conn = Admin.createConnection(tenant, connectionBody("http://127.0.0.1:9", "t", 50));
    Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
        .body("ok", equalTo(false)).body("checks[0].name", equalTo("reach Okta"))
        .body("checks[0].detail", containsString("127.0.0.1 unreachable"));
  }

  @Test
  void next_links_outside_the_org_are_never_followed() {
    String token = "okta-" + UUID.randomUUID();
    try (FakeOkta okta = org(token, 5); FakeOkta elsewhere = new FakeOkta(token)) {
      okta.linksTo(elsewhere.baseUrl());
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(okta.baseUrl(), token, 2));
      String job = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("FAILED");
      assertThat(awaitEvents(conn, job, 2).get(1).data().path("reason").asText())
          .contains("outside " + okta.baseUrl()).contains("refusing");
      assertThat(elsewhere.requests()).isEmpty();
    }
  }

  @Test
  void invalid_settings_are_refused_with_each_field() {
    String tenant = Admin.newTenant();
    Admin.as(tenant).body("{\"name\":\"x\",\"type\":\"okta\",\"settings\":{\"baseUrl\":\"https://acme.okta.com/api/v1\",\"pageSize\":500,\"memberPageSize\":5000}}")
        .post("/api/v1/connections").then().statusCode(400)
        .body("errors.field", equalTo(List.of("settings.baseUrl", "credentials.apiToken", "settings.pageSize", "settings.memberPageSize")));
    Admin.as(tenant).body("{\"name\":\"x\",\"type\":\"okta\",\"settings\":{\"baseUrl\":\"https://acme-admin.okta.com\"},\"credentials\":{\"apiToken\":\"t\"}}")
        .post("/api/v1/connections").then().statusCode(400)
        .body("errors[0].message", containsString("Admin Console URL"));
  }
}
