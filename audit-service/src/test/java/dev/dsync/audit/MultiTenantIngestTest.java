package dev.dsync.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.dsync.devstack.DevstackTestResource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Many tenants' events over all five topics at once, so each poll's batch mixes tenants and the
 * append locks, chains and moves several heads in one transaction. (Speed is measured by
 * {@code bin/dsync bench audit}, not here.)
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class MultiTenantIngestTest {

  private static final int TENANTS = 10;
  private static final int ROUNDS = 10;

  @Inject MeterRegistry registry;

  @Test
  void a_burst_over_many_tenants_gives_each_tenant_a_whole_chain_of_its_own_events_once() {
    String run = Tokens.newTenant();
    List<Events.Sent> sent = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      for (int t = 0; t < TENANTS; t++) {
        sent.addAll(Events.everyType(run + "-" + t, "dir-" + (round % 3)));
      }
    }
    // Some events again within the same burst, as a producer retry would send them.
    List<Events.Sent> resent = sent.subList(0, 50);
    List<Events.Sent> all = new ArrayList<>(sent);
    all.addAll(resent);
    double duplicatesBefore = registry.counter("dsync.audit.duplicates").count();
    try (Events producer = new Events()) {
      producer.send(all);
    }
    String heads = "select coalesce(sum(seq), 0) from audit.chain_head where tenant_id like '" + run + "-%'";
    await().atMost(Duration.ofMinutes(2)).until(() -> Db.count(heads) >= sent.size());
    await().atMost(Duration.ofMinutes(1))
        .until(() -> registry.counter("dsync.audit.duplicates").count() >= duplicatesBefore + resent.size());

    int perTenant = sent.size() / TENANTS;
    for (int t = 0; t < TENANTS; t++) {
      String tenant = run + "-" + t;
      assertThat(Db.count("select count(*) from audit.audit_record where tenant_id = ?", tenant)).isEqualTo(perTenant);
      assertThat(Db.count("select count(distinct event_id) from audit.audit_record where tenant_id = ?", tenant)).isEqualTo(perTenant);
      given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/audit/verify")
          .then().statusCode(200).body("valid", equalTo(true)).body("checkedRecords", equalTo(perTenant));
    }
    assertThat(Db.count(heads)).isEqualTo(sent.size());

    String tenant = run + "-3";
    JsonPath page = given().auth().oauth2(Tokens.admin(tenant)).queryParam("directoryId", "dir-2").queryParam("limit", 500)
        .get("/api/v1/audit/records").then().statusCode(200).extract().jsonPath();
    List<String> directories = page.getList("items.directoryId");
    assertThat(directories).hasSize(perTenant / ROUNDS * 3).containsOnly("dir-2");
  }
}
