package dev.dsync.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventType;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A small benchmark that runs with the tests: ingest rate from Kafka (all five topics' worth of
 * admin-action events over several tenants) and the latency of a filtered first page. Set
 * -Daudit.bench.events=200000 for a longer run. Prints a table; fails only below a sanity floor (the machine is shared, so no tight bound).
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class IngestBenchmarkTest {

  @Test
  void ingest_rate_and_filtered_page_latency() {
    int events = Integer.getInteger("audit.bench.events", 20_000);
    int tenants = 10;
    String run = Tokens.newTenant();
    String sample = Events.sample(EventType.AUDIT_RECORD);
    List<Events.Sent> sent = new ArrayList<>(events);
    for (int i = 0; i < events; i++) {
      sent.add(Events.event(EventType.AUDIT_RECORD, run + "-" + (i % tenants), "dir-" + (i % 7), sample));
    }
    // Progress is read from the chain heads: counting the table would compete with the ingest.
    String heads = "select coalesce(sum(seq), 0) from audit.chain_head where tenant_id like '" + run + "-%'";
    long start = System.nanoTime();
    try (Events producer = new Events()) {
      producer.send(sent);
    }
    long produced = System.nanoTime();
    await()
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> Db.count(heads) >= events);
    long done = System.nanoTime();
    double seconds = (done - start) / 1e9;
    double rate = events / seconds;

    String tenant = run + "-3";
    String token = Tokens.admin(tenant);
    long[] micros = new long[200];
    for (int i = 0; i < micros.length; i++) {
      long t0 = System.nanoTime();
      given().auth().oauth2(token).queryParam("directoryId", "dir-2").queryParam("limit", 50)
          .get("/api/v1/audit/records").then().statusCode(200);
      micros[i] = (System.nanoTime() - t0) / 1_000;
    }
    Arrays.sort(micros);

    System.out.printf(
        "%n| audit-service benchmark | value |%n|---|---|%n| events (%d tenants) | %d |%n| produce time | %.2f s |%n"
            + "| produce + ingest time | %.2f s |%n| ingest rate | %.0f records/s |%n"
            + "| filtered page (directoryId, 50 rows, %d rows in tenant) p50 | %.1f ms |%n| ... p99 | %.1f ms |%n%n",
        tenants, events, (produced - start) / 1e9, seconds, rate, events / tenants,
        micros[micros.length / 2] / 1000.0, micros[(int) (micros.length * 0.99)] / 1000.0);
    assertThat(rate).as("records/s").isGreaterThan(100);
  }
}
