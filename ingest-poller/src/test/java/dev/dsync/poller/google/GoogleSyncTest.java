package dev.dsync.poller.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventJson;
import dev.dsync.poller.Admin;
import dev.dsync.poller.KafkaProbe;
import dev.dsync.poller.KafkaProbe.Seen;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Google Workspace connections end to end: admin API, the fake Google, PostgreSQL, the outbox and Kafka. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class GoogleSyncTest {

  static final String ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
  static final Set<String> BOTH = Set.of("https://www.googleapis.com/auth/admin.directory.user.readonly",
      "https://www.googleapis.com/auth/admin.directory.group.readonly");
  static final KeyPair KEYS = FakeGoogle.keyPair();
  static final KeyPair OTHER_KEYS = FakeGoogle.keyPair();

  static KafkaProbe kafka;

  @BeforeAll
  static void probe() {
    kafka = new KafkaProbe("dsync.source.changes");
  }

  @AfterAll
  static void close() {
    kafka.close();
  }

  static String id(int i) {
    return String.format("1040000000000000%05d", i);
  }

  static String connectionBody(FakeGoogle google, String keyFile, String subject, String customer, int pageSize) {
    ObjectNode b = EventJson.mapper().createObjectNode();
    b.put("name", "Acme Workspace").put("type", "google-workspace");
    b.putObject("settings").put("customer", customer).put("subject", subject).put("baseUrl", google.baseUrl()).put("pageSize", pageSize);
    b.putObject("credentials").put("serviceAccountJson", keyFile);
    b.putObject("schedule").put("incrementalMinutes", 15).put("completeDailyAt", "03:00");
    return EventJson.write(b);
  }

  /** {@code users} users; 03-sales holds the even ones and the group 03-eng, 03-eng holds user 1, 03-empty nobody. */
  static FakeGoogle workspace(int users) {
    FakeGoogle g = new FakeGoogle();
    for (int i = 0; i < users; i++) {
      g.putUser(id(i), "user" + i + "@acme.com", "Given" + i, "Sur" + i, i % 2 == 0 ? "Sales" : "R&D");
    }
    g.putGroup("03-sales", "sales@acme.com", "Sales");
    g.putGroup("03-eng", "eng@acme.com", "Engineering");
    g.putGroup("03-empty", "empty@acme.com", "Empty");
    for (int i = 0; i < users; i += 2) {
      g.addMember("03-sales", id(i), "USER");
    }
    g.addMember("03-sales", "03-eng", "GROUP");
    g.addMember("03-sales", FakeGoogle.CUSTOMER_ID, "CUSTOMER");
    g.addMember("03-eng", id(1), "USER");
    return g;
  }

  static List<Seen> awaitEvents(String connection, String jobId, int atLeast) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> kafka.forJob(connection, jobId).size() >= atLeast);
    return kafka.forJob(connection, jobId);
  }

  static JsonNode json(String text) {
    try {
      return EventJson.mapper().readTree(text);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static long count(List<Seen> events, String type) {
    return events.stream().filter(e -> e.type().equals(type)).count();
  }

  static Map<String, Object> counters(String tenant, String conn, String job) {
    return Admin.as(tenant).get("/api/v1/connections/" + conn + "/jobs/" + job).then().extract().path("counters");
  }

  @Test
  void complete_then_incremental_emit_only_real_differences_and_deletions() {
    try (FakeGoogle google = workspace(25)) {
      FakeGoogle.Account sa = google.account("dsync", KEYS, BOTH);
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(google, google.keyFile(sa, KEYS), FakeGoogle.ADMIN, "my_customer", 10));

      String job1 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job1)).isEqualTo("COMPLETED");
      // started + 25 users + 3 groups + membership of 03-sales and 03-eng + completed
      List<Seen> first = awaitEvents(conn, job1, 32);
      assertThat(first.get(0).type()).isEqualTo("dsync.source.sync_job.started");
      assertThat(first.get(first.size() - 1).type()).isEqualTo("dsync.source.sync_job.completed");
      assertThat(count(first, "dsync.source.user.upserted")).isEqualTo(25);
      assertThat(count(first, "dsync.source.group.upserted")).isEqualTo(3);
      assertThat(count(first, "dsync.source.group.membership_changed")).isEqualTo(2);
      assertThat(first).allSatisfy(e -> assertThat(e.key()).isEqualTo(conn));

      // One signed assertion, verified by the fake with the account's public key, for every request of the job.
      assertThat(google.tokenRequests()).isEqualTo(1);
      JsonNode claims = google.assertions().get(0);
      assertThat(claims.path("iss").asText()).isEqualTo(sa.clientEmail());
      assertThat(claims.path("sub").asText()).isEqualTo(FakeGoogle.ADMIN);
      assertThat(claims.path("aud").asText()).isEqualTo(google.tokenUri());
      assertThat(claims.path("scope").asText()).isEqualTo(GoogleTokens.SCOPES);
      assertThat(claims.path("exp").asLong() - claims.path("iat").asLong()).isEqualTo(3600);
      // Deleted users first, then users by nextPageToken (three pages of 10), customSchemas asked for.
      List<String> req = google.requests();
      assertThat(req.get(0)).isEqualTo("/admin/directory/v1/users?customer=my_customer&maxResults=10&showDeleted=true");
      assertThat(req).filteredOn(r -> r.startsWith("/admin/directory/v1/users?") && r.contains("projection=full")).hasSize(3)
          .last().asString().contains("pageToken=");
      assertThat(req).filteredOn(r -> r.startsWith("/admin/directory/v1/groups/03-sales/members")).hasSize(1);
      assertThat(((Number) counters(tenant, conn, job1).get("pages")).intValue()).isEqualTo(8); // 1 deleted, 3 users, 1 groups, 3 members
      assertThat(((Number) counters(tenant, conn, job1).get("membersSkipped")).intValue()).isEqualTo(1); // the CUSTOMER member

      Seen u0 = first.stream().filter(e -> e.type().equals("dsync.source.user.upserted") && e.subject().equals(id(0))).findFirst().orElseThrow();
      JsonNode r = u0.data().path("resource");
      assertThat(r.path("userName").asText()).isEqualTo("user0@acme.com");
      assertThat(r.path("externalId").asText()).isEqualTo(id(0));
      assertThat(r.path("active").asBoolean()).isTrue();
      assertThat(r.path("name").path("givenName").asText()).isEqualTo("Given0");
      assertThat(r.path("name").path("familyName").asText()).isEqualTo("Sur0");
      assertThat(r.path("displayName").asText()).isEqualTo("Given0 Sur0");
      assertThat(r.path("title").asText()).isEqualTo("Engineer");
      assertThat(r.path("userType").asText()).isEqualTo("Employee");
      assertThat(r.path("emails")).isEqualTo(json("[{\"value\":\"user0@acme.com\",\"type\":\"work\",\"primary\":true},"
          + "{\"value\":\"user0.alias@acme.com\",\"type\":\"work\"}]"));
      assertThat(r.path("phoneNumbers")).isEqualTo(json("[{\"value\":\"+1 555 0100\",\"type\":\"work\",\"primary\":true},"
          + "{\"value\":\"+1 555 0199\",\"type\":\"mobile\"}]"));
      assertThat(r.path(ENTERPRISE).path("department").asText()).isEqualTo("Sales");
      assertThat(r.path(ENTERPRISE).path("costCenter").asText()).isEqualTo("CC-7");
      assertThat(r.path(ENTERPRISE).path("organization").asText()).isEqualTo("Acme");
      assertThat(r.path(ENTERPRISE).path("employeeNumber").asText()).isEqualTo("E-" + id(0));
      assertThat(r.path(ENTERPRISE).path("manager").path("value").asText()).isEqualTo("boss@acme.com");
      assertThat(r.path(GoogleNormalizer.USER_EXTENSION).path("orgUnitPath").asText()).isEqualTo("/Staff/Sales");
      assertThat(r.path(GoogleNormalizer.CUSTOM_SCHEMAS).path("EmployeeData").path("badgeColour").asText()).isEqualTo("blue");
      assertThat(r.path("schemas").toString()).contains(GoogleNormalizer.CUSTOM_SCHEMAS).contains(ENTERPRISE);
      assertThat(r.toString()).doesNotContain("lastLoginTime").doesNotContain("etag").doesNotContain("admin#directory");
      Seen sales = first.stream().filter(e -> e.type().equals("dsync.source.group.upserted") && e.subject().equals("03-sales")).findFirst().orElseThrow();
      assertThat(sales.data().path("resource").path("displayName").asText()).isEqualTo("Sales");
      assertThat(sales.data().path("resource").path(GoogleNormalizer.GROUP_EXTENSION).path("email").asText()).isEqualTo("sales@acme.com");
      assertThat(sales.data().path("resource").toString()).doesNotContain("directMembersCount");
      JsonNode salesMembers = first.stream().filter(e -> e.type().equals("dsync.source.group.membership_changed") && e.subject().equals("03-sales"))
          .findFirst().orElseThrow().data().path("added");
      assertThat(salesMembers).hasSize(14); // 13 users and the nested group
      assertThat(salesMembers.toString()).contains("{\"value\":\"03-eng\",\"type\":\"Group\"}").doesNotContain(FakeGoogle.CUSTOMER_ID);

      // At the source: a real edit, a save without a difference, a suspension, a deletion, a member in and one out.
      google.editUser(id(3), b -> ((ObjectNode) b.withArray("organizations").get(0)).put("title", "Manager").put("department", "Platform"));
      google.touchUser(id(4));
      google.suspend(id(5));
      google.deleteUser(id(6));
      google.addMember("03-sales", id(7), "USER");
      google.removeMember("03-sales", id(2));

      String job2 = Admin.sync(tenant, conn, "incremental");
      assertThat(Admin.awaitJob(tenant, conn, job2)).isEqualTo("COMPLETED");
      List<Seen> second = awaitEvents(conn, job2, 6);
      assertThat(second.get(0).data().path("mode").asText()).isEqualTo("INCREMENTAL");
      assertThat(second).extracting(Seen::type).containsExactly(
          "dsync.source.sync_job.started",
          "dsync.source.user.deleted",
          "dsync.source.user.upserted",
          "dsync.source.user.upserted",
          "dsync.source.group.membership_changed",
          "dsync.source.sync_job.completed");
      assertThat(second.get(1).subject()).isEqualTo(id(6));
      assertThat(second.get(2).subject()).isEqualTo(id(3));
      assertThat(second.get(2).data().path("sourceVersion").asLong()).isEqualTo(2);
      assertThat(second.get(2).data().path("changedAttributes").toString()).isEqualTo("[\"title\",\"" + GoogleNormalizer.USER_EXTENSION
          + ":organizations\",\"" + ENTERPRISE + ":department\"]");
      assertThat(second.get(3).subject()).isEqualTo(id(5));
      assertThat(second.get(3).data().path("resource").path("active").asBoolean()).isFalse();
      assertThat(second.get(4).subject()).isEqualTo("03-sales");
      assertThat(second.get(4).data().path("added").toString()).isEqualTo("[{\"value\":\"" + id(7) + "\",\"type\":\"User\"}]");
      assertThat(second.get(4).data().path("removed").toString()).isEqualTo("[{\"value\":\"" + id(2) + "\",\"type\":\"User\"}]");
      assertThat(google.tokenRequests()).isEqualTo(1); // the cached token served the second job too

      // The token stops working mid-life: the next request gets 401, a fresh token is fetched, the job completes.
      google.revokeTokens();
      int before = google.requests().size();
      String job3 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job3)).isEqualTo("COMPLETED");
      assertThat(google.tokenRequests()).isEqualTo(2);
      assertThat(google.requests().get(before)).isEqualTo(google.requests().get(before + 1));
      // Nothing changed: a complete run emits only its start and end (the deleted user is listed, and already gone).
      assertThat(awaitEvents(conn, job3, 2)).extracting(Seen::type)
          .containsExactly("dsync.source.sync_job.started", "dsync.source.sync_job.completed");

      // Gone from every listing (deleted over 20 days ago) and a deleted group: only a complete run's sweep sees them.
      google.purgeUser(id(8));
      google.deleteGroup("03-empty");
      String job4 = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job4)).isEqualTo("COMPLETED");
      List<Seen> fourth = awaitEvents(conn, job4, 5);
      assertThat(fourth).extracting(Seen::type).containsExactly(
          "dsync.source.sync_job.started",
          "dsync.source.group.deleted",
          "dsync.source.group.membership_changed",
          "dsync.source.user.deleted",
          "dsync.source.sync_job.completed");
      assertThat(fourth.get(1).subject()).isEqualTo("03-empty");
      assertThat(fourth.get(2).data().path("removed").toString()).isEqualTo("[{\"value\":\"" + id(8) + "\",\"type\":\"User\"}]");
      assertThat(fourth.get(3).subject()).isEqualTo(id(8));
    }
  }

  @Test
  void pages_by_next_page_token_and_backs_off_on_user_rate_limit_exceeded_and_503() {
    try (FakeGoogle google = workspace(5)) {
      FakeGoogle.Account sa = google.account("paging", KEYS, BOTH);
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(google, google.keyFile(sa, KEYS), FakeGoogle.ADMIN, FakeGoogle.CUSTOMER_ID, 2));
      google.throttleNext(1); // the first Directory API call: 403 userRateLimitExceeded
      google.unavailableNext(1); // its retry: 503 backendError
      String job = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("COMPLETED");
      Map<String, Object> counters = counters(tenant, conn, job);
      assertThat(((Number) counters.get("throttled")).intValue()).isEqualTo(1);
      assertThat(((Number) counters.get("retries")).intValue()).isEqualTo(1);
      List<String> req = google.requests();
      assertThat(req.subList(0, 3)).containsOnly("/admin/directory/v1/users?customer=" + FakeGoogle.CUSTOMER_ID + "&maxResults=2&showDeleted=true");
      // users: 3 pages of at most 2; groups: 2 pages of at most 2, each followed by its groups' members.
      assertThat(req).filteredOn(r -> r.contains("projection=full")).hasSize(3);
      assertThat(req).filteredOn(r -> r.startsWith("/admin/directory/v1/groups?")).hasSize(2).last().asString().contains("pageToken=");
      assertThat(((Number) counters.get("pages")).intValue()).isEqualTo(9); // 1 deleted, 3 users, 2 groups, 3 members
      List<Seen> events = awaitEvents(conn, job, 12);
      assertThat(count(events, "dsync.source.user.upserted")).isEqualTo(5);
      assertThat(count(events, "dsync.source.group.upserted")).isEqualTo(3);
      assertThat(events.get(events.size() - 1).type()).isEqualTo("dsync.source.sync_job.completed");
    }
  }

  @Test
  void a_key_google_does_not_accept_is_invalid_credentials_with_a_clear_message() {
    try (FakeGoogle google = workspace(3)) {
      FakeGoogle.Account sa = google.account("rotated", KEYS, BOTH);
      String wrongKey = google.keyFile(sa, OTHER_KEYS); // a key of the right account that Google no longer holds
      String tenant = Admin.newTenant();
      String conn = Admin.createConnection(tenant, connectionBody(google, wrongKey, FakeGoogle.ADMIN, "my_customer", 100));
      String report = Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
          .body("ok", equalTo(false))
          .body("checks[0].name", equalTo("token"))
          .body("checks[0].detail", equalTo("Google refused the token (invalid_grant, JWT signature): the key of service account "
              + sa.clientEmail() + " was deleted, disabled or replaced in Google Cloud; create a new JSON key and replace credentials.serviceAccountJson"))
          .extract().asString();
      assertThat(report).doesNotContain("PRIVATE KEY").doesNotContain("private_key");
      String job = Admin.sync(tenant, conn, "complete");
      assertThat(Admin.awaitJob(tenant, conn, job)).isEqualTo("FAILED");
      Admin.as(tenant).get("/api/v1/connections/" + conn).then()
          .body("state", equalTo("INVALID_CREDENTIALS"))
          .body("stateReason", containsString("Google refused the token (invalid_grant, JWT signature)"));
      assertThat(awaitEvents(conn, job, 2).get(1).data().path("reason").asText()).startsWith("invalid_credentials: Google refused the token");
      assertThat(google.requests()).isEmpty(); // no Directory API call without a token

      ObjectNode patch = EventJson.mapper().createObjectNode();
      patch.putObject("credentials").put("serviceAccountJson", google.keyFile(sa, KEYS));
      Admin.as(tenant).body(EventJson.write(patch)).patch("/api/v1/connections/" + conn).then().statusCode(200).body("state", equalTo("ACTIVE"));
      Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
          .body("ok", equalTo(true))
          .body("checks.name", equalTo(List.of("token", "list users", "list groups")))
          .body("checks[0].detail", equalTo("service account " + sa.clientEmail() + " may act as " + FakeGoogle.ADMIN));
      assertThat(google.requests()).containsExactly("/admin/directory/v1/users?customer=my_customer&maxResults=1",
          "/admin/directory/v1/groups?customer=my_customer&maxResults=1");
    }
  }

  @Test
  void the_test_endpoint_says_what_is_missing() {
    try (FakeGoogle google = workspace(2)) {
      FakeGoogle.Account usersOnly = google.account("users-only", KEYS, Set.of("https://www.googleapis.com/auth/admin.directory.user.readonly"));
      FakeGoogle.Account sa = google.account("full", KEYS, BOTH);
      String tenant = Admin.newTenant();

      String noDelegation = Admin.createConnection(tenant, connectionBody(google, google.keyFile(usersOnly, KEYS), FakeGoogle.ADMIN, "my_customer", 100));
      Admin.as(tenant).post("/api/v1/connections/" + noDelegation + "/test").then().statusCode(200)
          .body("ok", equalTo(false)).body("checks.size()", equalTo(1))
          .body("checks[0].detail", equalTo("Google refused the token (unauthorized_client): domain-wide delegation not granted for these scopes;"
              + " in the Admin console (Security > Access and data control > API controls > Domain-wide delegation) authorize client ID "
              + usersOnly.clientId() + " for https://www.googleapis.com/auth/admin.directory.user.readonly,"
              + "https://www.googleapis.com/auth/admin.directory.group.readonly"));
      // A job fails as ERROR (fixed in Google's Admin console, not with new credentials), so scheduled runs continue.
      assertThat(Admin.awaitJob(tenant, noDelegation, Admin.sync(tenant, noDelegation, "complete"))).isEqualTo("FAILED");
      Admin.as(tenant).get("/api/v1/connections/" + noDelegation).then().body("state", equalTo("ERROR"));

      String unknownSubject = Admin.createConnection(tenant, connectionBody(google, google.keyFile(sa, KEYS), "nobody@acme.com", "my_customer", 100));
      Admin.as(tenant).post("/api/v1/connections/" + unknownSubject + "/test").then().statusCode(200)
          .body("ok", equalTo(false))
          .body("checks[0].detail", equalTo("Google refused the token (invalid_grant): settings.subject nobody@acme.com is not a user of the"
              + " Google Workspace account; name an administrator of the domain to impersonate"));

      String notAdmin = Admin.createConnection(tenant, connectionBody(google, google.keyFile(sa, KEYS), "helpdesk@acme.com", "my_customer", 100));
      Admin.as(tenant).post("/api/v1/connections/" + notAdmin + "/test").then().statusCode(200)
          .body("ok", equalTo(false))
          .body("checks.name", equalTo(List.of("token", "list users", "list groups")))
          .body("checks[0].ok", equalTo(true))
          .body("checks[1].detail", equalTo("Google answered 403 forbidden: settings.subject helpdesk@acme.com must be an administrator whose"
              + " role includes the Users > Read privilege, and the Admin SDK API must be enabled in the service account's Google Cloud project"))
          .body("checks[2].detail", containsString("the Groups > Read privilege"));

      String wrongCustomer = Admin.createConnection(tenant, connectionBody(google, google.keyFile(sa, KEYS), FakeGoogle.ADMIN, "C0000000", 100));
      Admin.as(tenant).post("/api/v1/connections/" + wrongCustomer + "/test").then().statusCode(200)
          .body("ok", equalTo(false))
          .body("checks[1].detail", equalTo("Google answered 404 notFound: settings.customer 'C0000000' is not this account's customer;"
              + " use my_customer or the customer ID from Account settings"));
      assertThat(Admin.awaitJob(tenant, wrongCustomer, Admin.sync(tenant, wrongCustomer, "complete"))).isEqualTo("FAILED");
      Admin.as(tenant).get("/api/v1/connections/" + wrongCustomer).then().body("state", equalTo("ERROR"))
          .body("stateReason", containsString("settings.customer 'C0000000'"));
    }
  }

  @Test
  void invalid_settings_and_keys_are_refused_with_each_field() {
    String tenant = Admin.newTenant();
    Admin.as(tenant).body("{\"name\":\"x\",\"type\":\"google-workspace\",\"settings\":{\"baseUrl\":\"https://admin.googleapis.com/admin/directory/v1\","
            + "\"pageSize\":501,\"customer\":\"my customer\"},\"credentials\":{\"serviceAccountJson\":\"{\\\"type\\\":\\\"authorized_user\\\"}\"}}")
        .post("/api/v1/connections").then().statusCode(400)
        .body("errors.field", equalTo(List.of("settings.subject", "settings.customer", "settings.baseUrl", "settings.pageSize",
            "credentials.serviceAccountJson")))
        .body("errors[4].message", equalTo("is a 'authorized_user' file, not a service account key (type service_account)"));
    Admin.as(tenant).body("{\"name\":\"x\",\"type\":\"google-workspace\",\"settings\":{\"subject\":\"admin@acme.com\"},"
            + "\"credentials\":{\"serviceAccountJson\":{\"type\":\"service_account\",\"client_email\":\"a@b.iam.gserviceaccount.com\","
            + "\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n\"}}}")
        .post("/api/v1/connections").then().statusCode(400)
        .body("errors[0].field", equalTo("credentials.serviceAccountJson"))
        .body("errors[0].message", containsString("cannot be read as an RSA key"));
  }
}
