package dev.dsync.platform.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.platform.ManualRelayProfile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A claim over a large backlog reads each bucket's oldest rows and no others: a relay that fell
 * behind (Kafka away during a sync) drains in time linear in the backlog.
 */
@QuarkusTest
@TestProfile(ManualRelayProfile.class)
@QuarkusTestResource(DevstackTestResource.class)
class BacklogClaimTest {

  private static final int BACKLOG = 60_000;

  @Inject Pool pool;

  @Test
  void a_claim_over_a_backlog_of_batch_rows_reads_only_the_rows_it_takes() throws Exception {
    // In a transaction rolled back at the end, so no relay or later test sees the backlog (its dead
    // rows and the table's size estimate are vacuumed and analyzed away after).
    String plan = pool.withTransaction(conn -> conn
            .query("insert into platform_test.outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source, tenant_id,"
                + " bucket, batch_size, batch) select gen_random_uuid(), 'test', 'key-' || g, 'test', 'null', 'dsync.test', 'test',"
                + " 'backlog-test', " + Outbox.BATCH_BUCKETS + " + g % " + Outbox.BUCKETS + ", 20, '\\x00'::bytea"
                + " from generate_series(1, " + BACKLOG + ") g")
            .execute()
            .chain(() -> conn.query("analyze platform_test.outbox_event").execute())
            .chain(() -> conn.preparedQuery("explain (analyze, format json) " + OutboxRelay.CLAIM)
                .execute(Tuple.of(500, allBuckets(), 3)))
            .map(rows -> rows.iterator().next().getValue(0).toString())
            .chain(json -> conn.query("rollback").execute().replaceWith(json)))
        .await().indefinitely();

    pool.query("vacuum analyze platform_test.outbox_event").execute().await().indefinitely();

    List<String> scans = new ArrayList<>();
    long[] discarded = {0};
    walk(new ObjectMapper().readTree(plan).get(0).get("Plan"), scans, discarded);
    // Before the (bucket, seq) index was the only ordered path, PostgreSQL walked the seq index and
    // filtered: for an empty plain bucket that is every row of the backlog, on every claim.
    assertThat(discarded[0]).as("rows read and thrown away by the claim (%s)", scans).isLessThan(1_000);
    assertThat(scans).as("index scans of the claim").noneMatch(s -> s.contains("seq"));
  }

  private static Integer[] allBuckets() {
    Integer[] buckets = new Integer[Outbox.BUCKETS];
    for (int b = 0; b < buckets.length; b++) {
      buckets[b] = b;
    }
    return buckets;
  }

  private static void walk(JsonNode node, List<String> scans, long[] discarded) {
    if (node.has("Index Name")) {
      scans.add(node.get("Index Name").asText());
    }
    discarded[0] += node.path("Rows Removed by Filter").asLong(0) * Math.max(1, node.path("Actual Loops").asLong(1));
    for (JsonNode child : node.path("Plans")) {
      walk(child, scans, discarded);
    }
  }
}
