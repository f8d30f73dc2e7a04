package dev.dsync.poller.connections;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.poller.Admin;
import dev.dsync.poller.KafkaProbe;
import dev.dsync.poller.graph.FakeGraph;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The connections admin API: validation, tenancy, audit, and credentials that never come back out. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class ConnectionsApiTest {

  @Inject Pool pool;

  static String graphBody(String name, String secret, String baseUrl) {
    return """
        {"name":"%s","type":"microsoft-graph",
         "settings":{"tenantId":"%s","clientId":"%s","baseUrl":"%s","authorityUrl":"%s"},
         "credentials":{"clientSecret":"%s"},"schedule":{"incrementalMinutes":30,"completeDailyAt":"01:15"}}
        """.formatted(name, FakeGraph.TENANT, FakeGraph.CLIENT_ID, baseUrl + "/v1.0", baseUrl, secret);
  }

  /** Every log line of the process while it is installed. */
  static final class Captured extends Handler {
    final List<String> lines = new ArrayList<>();

    @Override
    public synchronized void publish(LogRecord r) {
      lines.add(r.getMessage() + " " + Arrays.toString(r.getParameters()) + " " + (r.getThrown() == null ? "" : r.getThrown().toString()));
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  @Test
  void credentials_are_write_only_encrypted_and_never_logged_or_audited() {
    String secret = "never-show-" + UUID.randomUUID();
    Captured logs = new Captured();
    Logger.getLogger("").addHandler(logs);
    try (KafkaProbe audit = new KafkaProbe("dsync.audit.records"); FakeGraph g = new FakeGraph("another-" + secret)) {
      String tenant = Admin.newTenant();
      String created = Admin.as(tenant).body(graphBody("Entra", secret, g.authorityUrl())).post("/api/v1/connections")
          .then().statusCode(201).body("credentialFields", equalTo(List.of("clientSecret"))).body("state", equalTo("ACTIVE"))
          .body("schedule.completeDailyAt", equalTo("01:15")).extract().asString();
      assertThat(created).doesNotContain(secret);
      String id = Admin.as(tenant).get("/api/v1/connections").then().statusCode(200).extract().path("[0].id");
      assertThat(Admin.as(tenant).get("/api/v1/connections").asString()).doesNotContain(secret);
      assertThat(Admin.as(tenant).get("/api/v1/connections/" + id).asString()).doesNotContain(secret);
      // The secret is wrong for the fake: test and sync both fail and log, without the secret.
      assertThat(Admin.as(tenant).post("/api/v1/connections/" + id + "/test").asString()).doesNotContain(secret).contains("invalid_client");
      assertThat(Admin.awaitJob(tenant, id, Admin.sync(tenant, id, "complete"))).isEqualTo("FAILED");
      String rotated = "rotated-" + secret;
      Admin.as(tenant).body("{\"credentials\":{\"clientSecret\":\"" + rotated + "\"}}").patch("/api/v1/connections/" + id)
          .then().statusCode(200).body("credentialFields", equalTo(List.of("clientSecret")));

      byte[] stored = pool.preparedQuery("select credentials from connection where id = $1").execute(Tuple.of(UUID.fromString(id)))
          .await().indefinitely().iterator().next().getBuffer("credentials").getBytes();
      assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain(secret).doesNotContain("rotated-").doesNotContain("clientSecret");
      long leaked = pool.preparedQuery("select count(*) from outbox_event where tenant_id = $1 and payload::text like $2")
          .execute(Tuple.of(tenant, "%" + secret + "%")).await().indefinitely().iterator().next().getLong(0);
      assertThat(leaked).isZero();

      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> audit.forTenant(tenant).stream().map(KafkaProbe.Seen::type).toList()
          .containsAll(List.of("dsync.audit.record")) && audit.forTenant(tenant).size() >= 5);
      List<KafkaProbe.Seen> records = audit.forTenant(tenant);
      assertThat(records).extracting(s -> s.data().path("action").asText())
          .contains("connection.created", "connection.tested", "connection.sync_requested", "connection.updated", "connection.credentials_replaced");
      assertThat(records).allSatisfy(r -> assertThat(r.data().toString()).doesNotContain(secret));
      assertThat(records.get(0).data().path("actor").path("id").asText()).isEqualTo("admin@" + tenant);
      assertThat(logs.lines).isNotEmpty().noneMatch(l -> l.contains(secret) || l.contains("rotated-"));
    } finally {
      Logger.getLogger("").removeHandler(logs);
    }
  }

  @Test
  void bad_input_is_a_clear_4xx_and_writes_nothing() {
    String tenant = Admin.newTenant();
    Admin.as(tenant).body("{\"name\":\"x\",\"type\":\"nope\",\"settings\":{}}").post("/api/v1/connections").then().statusCode(400)
        .contentType("application/problem+json").body("errors.field", hasItem("type"));
    Admin.as(tenant).body("{\"name\":\"x\",\"type\":\"onelogin\",\"settings\":{}}").post("/api/v1/connections").then().statusCode(400)
        .body("errors[0].field", equalTo("type"))
        .body("errors[0].message", equalTo("unknown type 'onelogin': one of microsoft-graph, google-workspace, okta, ldap, scim-pull"));
    Admin.as(tenant).body("{\"name\":\"x\",\"type\":\"microsoft-graph\",\"settings\":{\"tenantId\":\"t\",\"clientId\":\"c\",\"clientSecret\":\"oops\"}}")
        .post("/api/v1/connections").then().statusCode(400)
        .body("errors.field", hasItem("settings.clientSecret")).body("errors.field", hasItem("credentials.clientSecret"))
        .body(org.hamcrest.Matchers.not(containsString("oops")));
    Admin.as(tenant).body("{\"name\":\"x\",\"type\":\"ldap\",\"settings\":{\"url\":\"http://x\"},\"scope\":{\"baseDn\":\"not a dn\",\"userFilter\":\"(uid=\"}}")
        .post("/api/v1/connections").then().statusCode(400)
        .body("errors.field", hasItem("settings.url")).body("errors.field", hasItem("scope.baseDn")).body("errors.field", hasItem("scope.userFilter"));
    Admin.as(tenant).body("{\"name\":\"x\",\"type\":\"ldap\",\"settings\":{\"url\":\"ldap://h:389\"},\"scope\":{\"baseDn\":\"dc=x\"},"
            + "\"schedule\":{\"completeDailyAt\":\"25:00\"}}")
        .post("/api/v1/connections").then().statusCode(400).body("errors.field", hasItem("schedule.completeDailyAt"));
    Admin.as(tenant).body("{not json").post("/api/v1/connections").then().statusCode(400).contentType("application/problem+json");
    long written = pool.preparedQuery("select (select count(*) from connection where tenant_id = $1) + (select count(*) from outbox_event where tenant_id = $1)")
        .execute(Tuple.of(tenant)).await().indefinitely().iterator().next().getLong(0);
    assertThat(written).isZero();
    given().get("/api/v1/connections").then().statusCode(401);
  }

  @Test
  void another_tenant_sees_nothing_and_a_paused_connection_does_not_sync() {
    String tenant = Admin.newTenant();
    String other = Admin.newTenant();
    String id = Admin.createConnection(tenant, graphBody("Entra", "s", "http://127.0.0.1:9"));
    for (var call : List.of("get", "patch", "delete", "sync", "jobs")) {
      var req = Admin.as(other);
      var res = switch (call) {
        case "get" -> req.get("/api/v1/connections/" + id);
        case "patch" -> req.body("{\"name\":\"mine\"}").patch("/api/v1/connections/" + id);
        case "delete" -> req.delete("/api/v1/connections/" + id);
        case "sync" -> req.post("/api/v1/connections/" + id + "/sync");
        default -> req.get("/api/v1/connections/" + id + "/jobs");
      };
      res.then().statusCode(404).contentType("application/problem+json");
    }
    Admin.as(other).get("/api/v1/connections").then().statusCode(200).body("size()", equalTo(0));

    Admin.as(tenant).body("{\"state\":\"PAUSED\"}").patch("/api/v1/connections/" + id).then().statusCode(200).body("state", equalTo("PAUSED"));
    Admin.as(tenant).post("/api/v1/connections/" + id + "/sync").then().statusCode(409).body("detail", containsString("paused"));
    Admin.as(tenant).queryParam("mode", "sometimes").post("/api/v1/connections/" + id + "/sync").then().statusCode(400);
    Admin.as(tenant).delete("/api/v1/connections/" + id).then().statusCode(204);
    Admin.as(tenant).get("/api/v1/connections/" + id).then().statusCode(404);
  }
}
