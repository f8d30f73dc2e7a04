package dev.dsync.platform;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.platform.outbox.OutboxRelay;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(ManualRelayProfile.class)
@QuarkusTestResource(DevstackTestResource.class)
class OutboxBatchRowsTest {

  @Inject OutboxRelay relay;
  @Inject Pool pool;

  @Test
  void a_long_append_is_a_few_batch_rows_and_goes_out_as_one_record_per_event_in_per_key_order() {
    String tenant = Tokens.newTenant();
    int count = 600;
    int keys = 5;
    given().auth().oauth2(Tokens.admin(tenant)).post("/api/v1/notes/appended-sql/" + count + "?keys=" + keys).then().statusCode(201);

    // 600 audit events over 5 keys and one tombstone: at most one row per bucket and 256 events.
    Row rows = pool.preparedQuery("select count(*), sum(coalesce(batch_size, 1)), max(batch_size), count(batch_size), min(bucket)"
            + " from platform_test.outbox_event where tenant_id = $1 and published_at is null")
        .execute(Tuple.of(tenant)).await().indefinitely().iterator().next();
    assertThat(rows.getLong(1)).as("events stored").isEqualTo(count + 1);
    assertThat(rows.getLong(0)).as("rows").isBetween(3L, 12L);
    assertThat(rows.getLong(3)).as("every row a batch").isEqualTo(rows.getLong(0));
    assertThat(rows.getInteger(2)).isLessThanOrEqualTo(256);
    assertThat(rows.getInteger(4)).as("batch rows sit above the buckets an older relay claims").isGreaterThanOrEqualTo(16);
    // A claim counts a batch row's events' bytes, which the row records beside its compressed batch.
    Row sizes = pool.preparedQuery("select count(*) filter (where batch_bytes > octet_length(batch)), count(*) from platform_test.outbox_event"
            + " where tenant_id = $1 and batch_size is not null")
        .execute(Tuple.of(tenant)).await().indefinitely().iterator().next();
    assertThat(sizes.getLong(0)).as("batch rows whose events are larger than their compressed batch").isEqualTo(sizes.getLong(1));

    try (KafkaProbe audit = new KafkaProbe("dsync.audit.records"); KafkaProbe state = new KafkaProbe("dsync.identity.state")) {
      // The manual profile's batch size is 3: a claim takes whole rows, and one row past the size only as its first.
      int published = 0;
      for (int claim = relay.relayOnce().await().indefinitely(); claim > 0; claim = relay.relayOnce().await().indefinitely()) {
        assertThat(claim).isLessThanOrEqualTo(256);
        published += claim;
      }
      assertThat(published).isEqualTo(count + 1);
      assertThat(pool.preparedQuery("select count(*) from platform_test.outbox_event where tenant_id = $1")
          .execute(Tuple.of(tenant)).await().indefinitely().iterator().next().getLong(0)).isZero();

      await().atMost(Duration.ofSeconds(30)).until(() -> audit.forTenant(tenant).size() >= count && !state.forTenant(tenant).isEmpty());
      List<KafkaProbe.Seen> seen = audit.forTenant(tenant);
      assertThat(seen).hasSize(count);
      assertThat(seen).extracting(KafkaProbe.Seen::ceId).doesNotHaveDuplicates();
      assertThat(seen).allSatisfy(s -> assertThat(s.ceType()).isEqualTo("dsync.audit.record"));
      Map<String, List<Integer>> byKey = new HashMap<>();
      for (KafkaProbe.Seen s : seen) {
        byKey.computeIfAbsent(s.key(), k -> new ArrayList<>()).add(JsonPath.from(s.value()).getInt("details.i"));
      }
      assertThat(byKey).hasSize(keys);
      byKey.forEach((key, positions) -> {
        int k = key.equals(tenant) ? 0 : Integer.parseInt(key.substring(tenant.length() + 1));
        List<Integer> expected = new ArrayList<>();
        for (int i = k; i < count; i += keys) {
          expected.add(i);
        }
        assertThat(positions).as("key " + key).containsExactlyElementsOf(expected);
      });
      assertThat(state.forTenant(tenant)).singleElement().satisfies(s -> assertThat(s.value()).isNull());
    }
  }

  @Test
  void plain_and_batch_rows_of_one_key_go_out_in_the_order_they_were_appended() {
    String tenant = Tokens.newTenant();
    int[] appends = {3, 20, 2, 9}; // fewer than 8: plain rows; 8 or more: batch rows
    for (int count : appends) {
      given().auth().oauth2(Tokens.admin(tenant)).post("/api/v1/notes/appended-sql/" + count).then().statusCode(201);
    }
    Row kinds = pool.preparedQuery("select count(*) filter (where batch_size is null), count(batch_size) from platform_test.outbox_event"
            + " where tenant_id = $1 and topic = 'dsync.audit.records'")
        .execute(Tuple.of(tenant)).await().indefinitely().iterator().next();
    assertThat(kinds.getLong(0)).as("plain rows").isEqualTo(5L);
    assertThat(kinds.getLong(1)).as("batch rows").isEqualTo(2L);

    try (KafkaProbe audit = new KafkaProbe("dsync.audit.records")) {
      while (relay.relayOnce().await().indefinitely() > 0) {
        // drain
      }
      int total = java.util.Arrays.stream(appends).sum();
      await().atMost(Duration.ofSeconds(30)).until(() -> audit.forTenant(tenant).size() >= total);
      List<KafkaProbe.Seen> seen = audit.forTenant(tenant);
      assertThat(seen).hasSize(total);
      // Each append is one note key (the event's subject) counting 0..n-1: one key's events, so one order.
      List<String> order = seen.stream().map(s -> JsonPath.from(s.value()).getString("targetId") + "#" + JsonPath.from(s.value()).getInt("details.i")).toList();
      List<String> runs = new ArrayList<>();
      for (String o : order) {
        String note = o.substring(0, o.indexOf('#'));
        if (runs.isEmpty() || !runs.get(runs.size() - 1).startsWith(note)) {
          runs.add(note + ":");
        }
        runs.set(runs.size() - 1, runs.get(runs.size() - 1) + o.substring(o.indexOf('#') + 1) + ",");
      }
      assertThat(runs).hasSize(appends.length);
      for (int a = 0; a < appends.length; a++) {
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < appends[a]; i++) {
          expected.append(i).append(',');
        }
        assertThat(runs.get(a)).as("append " + a).endsWith(":" + expected);
      }
    }
  }
}
