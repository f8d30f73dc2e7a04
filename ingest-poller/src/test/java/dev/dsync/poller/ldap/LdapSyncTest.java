package dev.dsync.poller.ldap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.sdk.AddRequest;
import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.unboundidds.controls.IgnoreNoUserModificationRequestControl;
import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.poller.Admin;
import dev.dsync.poller.KafkaProbe;
import dev.dsync.poller.KafkaProbe.Seen;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LDAP connections against UnboundID's in-memory directory server (a real LDAP v3 server in this JVM). */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class LdapSyncTest {

  static final String BASE = "dc=example,dc=com";
  static final int USERS = 1200;
  /**
   * modifyTimestamp of the fixture, set rather than left to the clock: the watermark after the
   * complete run is the "all" group's stamp, and the incremental reads everything at or past it.
   * With server-generated stamps, "engineering" shared the millisecond of "all" now and then, so
   * the incremental re-read it too and (rightly) removed the deleted user7 from it: a real
   * difference, but one this test expects the complete run to find.
   */
  static final String USERS_STAMP = "20200101000000.000Z";
  static final String ENGINEERING_STAMP = "20200101000001.000Z";
  static final String WATERMARK = "20200101000002.000Z";
  static KafkaProbe kafka;
  static InMemoryDirectoryServer ldap;

  @BeforeAll
  static void start() throws Exception {
    kafka = new KafkaProbe("dsync.source.changes");
    InMemoryDirectoryServerConfig cfg = new InMemoryDirectoryServerConfig(BASE);
    cfg.addAdditionalBindCredentials("cn=Directory Manager", "ldap-test-password");
    cfg.setListenerConfigs(InMemoryListenerConfig.createLDAPConfig("default", InetAddress.getLoopbackAddress(), 0, null));
    ldap = new InMemoryDirectoryServer(cfg);
    ldap.startListening();
    ldap.add(new Entry(BASE, new Attribute("objectClass", "top", "domain"), new Attribute("dc", "example")));
    ldap.add(new Entry("ou=people," + BASE, new Attribute("objectClass", "top", "organizationalUnit"), new Attribute("ou", "people")));
    ldap.add(new Entry("ou=groups," + BASE, new Attribute("objectClass", "top", "organizationalUnit"), new Attribute("ou", "groups")));
    for (int i = 0; i < USERS; i++) {
      // user1100 (a member of "all") carries the watermark itself: the incremental re-reads it and must emit nothing for it.
      addStamped(user(i), i == 1100 ? WATERMARK : USERS_STAMP);
    }
    List<String> engineers = new ArrayList<>();
    for (int i = 0; i < 1100; i++) {
      engineers.add(dn(i));
    }
    addStamped(new Entry("cn=engineering,ou=groups," + BASE, new Attribute("objectClass", "top", "groupOfNames"),
        new Attribute("cn", "engineering"), new Attribute("description", "All engineers"), new Attribute("member", engineers)), ENGINEERING_STAMP);
    // Nested: "all" holds the engineering group itself and one more user.
    addStamped(new Entry("cn=all,ou=groups," + BASE, new Attribute("objectClass", "top", "groupOfNames"), new Attribute("cn", "all"),
        new Attribute("member", "cn=engineering,ou=groups," + BASE, dn(1100))), WATERMARK);
  }

  /** Adds an entry with the modifyTimestamp given (the in-memory server takes it with this control, as an LDIF import would). */
  static void addStamped(Entry entry, String modifyTimestamp) throws Exception {
    entry.setAttribute("modifyTimestamp", modifyTimestamp);
    AddRequest add = new AddRequest(entry);
    add.addControl(new IgnoreNoUserModificationRequestControl());
    ldap.add(add);
  }

  @AfterAll
  static void stop() {
    kafka.close();
    ldap.shutDown(true);
  }

  static String dn(int i) {
    return String.format("uid=user%04d,ou=people,%s", i, BASE);
  }

  static Entry user(int i) {
    return new Entry(dn(i), new Attribute("objectClass", "top", "person", "organizationalPerson", "inetOrgPerson"),
        new Attribute("uid", String.format("user%04d", i)), new Attribute("cn", "User " + i), new Attribute("sn", "Number" + i),
        new Attribute("givenName", "User"), new Attribute("mail", String.format("user%04d@example.com", i)),
        new Attribute("employeeNumber", String.valueOf(1000 + i)), new Attribute("userPassword", "pw-never-copied"),
        new Attribute("roomNumber", "R" + i));
  }

  String connection(String tenant, String password) {
    return Admin.createConnection(tenant, """
        {"name":"Corp LDAP","type":"ldap",
         "settings":{"url":"ldap://127.0.0.1:%d","bindDn":"cn=Directory Manager","pageSize":500},
         "credentials":{"bindPassword":"%s"},
         "scope":{"baseDn":"%s"}}
        """.formatted(ldap.getListenPort(), password, BASE));
  }

  static List<Seen> awaitEvents(String conn, String job, int atLeast) {
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> kafka.forJob(conn, job).size() >= atLeast);
    return kafka.forJob(conn, job);
  }

  @Test
  void complete_incremental_deletion_nested_groups_and_paging() throws Exception {
    String tenant = Admin.newTenant();
    String conn = connection(tenant, "ldap-test-password");
    Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200).body("ok", equalTo(true));

    String job1 = Admin.sync(tenant, conn, "complete");
    assertThat(Admin.awaitJob(tenant, conn, job1)).isEqualTo("COMPLETED");
    // started, the users, 2 groups, 3 membership changes (engineering's 1,100 members in two), completed
    List<Seen> first = awaitEvents(conn, job1, USERS + 7);
    assertThat(first.stream().filter(e -> e.type().equals("dsync.source.user.upserted")).count()).isEqualTo(USERS);
    assertThat(first.stream().filter(e -> e.type().equals("dsync.source.group.upserted")).count()).isEqualTo(2);
    Map<String, Object> counters = Admin.as(tenant).get("/api/v1/connections/" + conn + "/jobs/" + job1).then().extract().path("counters");
    // 1,200 users in pages of 500 (3 pages), then one page of groups.
    assertThat(((Number) counters.get("pages")).intValue()).isEqualTo(4);
    Seen user5 = first.stream().filter(e -> e.type().equals("dsync.source.user.upserted")
        && e.data().path("resource").path("userName").asText().equals("user0005")).findFirst().orElseThrow();
    assertThat(user5.data().path("resource").path("emails").get(0).path("value").asText()).isEqualTo("user0005@example.com");
    assertThat(user5.data().path("resource").path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").path("employeeNumber").asText()).isEqualTo("1005");
    assertThat(user5.data().path("resource").path(LdapNormalizer.USER_EXTENSION).path("roomNumber").asText()).isEqualTo("R5");
    assertThat(user5.data().toString()).doesNotContain("pw-never-copied");
    String user5Id = user5.subject();
    String engineeringId = ldap.getEntry("cn=engineering,ou=groups," + BASE, "entryUUID").getAttributeValue("entryUUID");
    // A Kafka record is at most 1 MB: a large group's members travel in events of at most 1,000, of one version.
    List<Seen> engineering = first.stream().filter(e -> e.type().equals("dsync.source.group.membership_changed") && e.subject().equals(engineeringId))
        .toList();
    assertThat(engineering).extracting(e -> e.data().path("added").size()).containsExactly(1000, 100);
    assertThat(engineering).extracting(e -> e.data().path("sourceVersion").asLong()).containsOnly(engineering.get(0).data().path("sourceVersion").asLong());
    assertThat(engineering.stream().flatMap(e -> java.util.stream.StreamSupport.stream(e.data().path("added").spliterator(), false))
        .map(ref -> ref.path("value").asText()).distinct().count()).isEqualTo(1100);
    String allId = ldap.getEntry("cn=all,ou=groups," + BASE, "entryUUID").getAttributeValue("entryUUID");
    Seen all = first.stream().filter(e -> e.type().equals("dsync.source.group.membership_changed") && e.subject().equals(allId)).findFirst().orElseThrow();
    assertThat(all.data().path("added").toString()).contains("{\"value\":\"" + engineeringId + "\",\"type\":\"Group\"}");
    assertThat(all.data().path("added").size()).isEqualTo(2);

    // Incremental by modifyTimestamp: one change, one new user added to a group, one deletion
    // (which an LDAP change search cannot see; the next complete run does).
    ldap.modify(dn(5), new Modification(ModificationType.REPLACE, "title", "Staff Engineer"));
    ldap.add(user(USERS));
    ldap.modify("cn=all,ou=groups," + BASE, new Modification(ModificationType.ADD, "member", dn(USERS)));
    ldap.delete(dn(7));
    String job2 = Admin.sync(tenant, conn, "incremental");
    assertThat(Admin.awaitJob(tenant, conn, job2)).isEqualTo("COMPLETED");
    List<Seen> second = awaitEvents(conn, job2, 5);
    assertThat(second).extracting(Seen::type).containsExactly(
        "dsync.source.sync_job.started",
        "dsync.source.user.upserted",
        "dsync.source.user.upserted",
        "dsync.source.group.membership_changed",
        "dsync.source.sync_job.completed");
    Map<String, Object> incremental = Admin.as(tenant).get("/api/v1/connections/" + conn + "/jobs/" + job2).then().extract().path("counters");
    // Re-read at the inclusive watermark, unchanged, no event: user1100 and the "all" group's own attributes.
    assertThat(((Number) incremental.get("unchanged")).intValue()).isEqualTo(2);
    Seen changed = second.stream().filter(e -> e.subject().equals(user5Id)).findFirst().orElseThrow();
    assertThat(changed.data().path("changedAttributes").toString()).isEqualTo("[\"title\"]");
    assertThat(changed.data().path("sourceVersion").asLong()).isEqualTo(2);

    String job3 = Admin.sync(tenant, conn, "complete");
    assertThat(Admin.awaitJob(tenant, conn, job3)).isEqualTo("COMPLETED");
    List<Seen> third = awaitEvents(conn, job3, 4);
    assertThat(third).extracting(Seen::type).containsExactly(
        "dsync.source.sync_job.started",
        "dsync.source.group.membership_changed",
        "dsync.source.user.deleted",
        "dsync.source.sync_job.completed");
    assertThat(third.get(1).subject()).isEqualTo(engineeringId);
    assertThat(third.get(1).data().path("removed").size()).isEqualTo(1);
  }

  @Test
  void a_wrong_bind_password_is_reported_exactly() {
    String tenant = Admin.newTenant();
    String conn = connection(tenant, "not-the-password");
    Admin.as(tenant).post("/api/v1/connections/" + conn + "/test").then().statusCode(200)
        .body("ok", equalTo(false)).body("checks[0].detail", containsString("49 invalidCredentials"));
    assertThat(Admin.awaitJob(tenant, conn, Admin.sync(tenant, conn, "complete"))).isEqualTo("FAILED");
    Admin.as(tenant).get("/api/v1/connections/" + conn).then().body("state", equalTo("INVALID_CREDENTIALS"));
  }
}
