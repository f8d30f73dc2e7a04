package dev.dsync.platform.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.platform.ManualRelayProfile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
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
  private static final long CLAIM_BYTES = 16L * 1024 * 1024;

  @Inject Pool pool;

  @Test
  void a_claim_over_a_backlog_of_batch_rows_reads_only_the_rows_it_takes() throws Exception {
    // In a transaction rolled back at the end, so no relay or later test sees the backlog (its dead
    // rows and the table's size estimate are vacuumed and analyzed away after).
    String plan = pool.withTransaction(conn -> insertBacklog(conn)
            .chain(() -> conn.query("analyze platform_test.outbox_event").execute())
            .chain(() -> conn.preparedQuery("explain (analyze, format json) " + OutboxRelay.CLAIM)
                .execute(Tuple.of(500, allBuckets(), 3, CLAIM_BYTES)))
            .map(rows -> rows.iterator().next().getValue(0).toString())
            .chain(json -> conn.query("rollback").execute().replaceWith(json)))
        .await().indefinitely();

    pool.query("vacuum analyze platform_test.outbox_event").execute().await().indefinitely();

    // Before the (bucket, seq) index was the only ordered path, PostgreSQL walked the seq index and
    // filtered: for an empty plain bucket that is every row of the backlog, on every claim.
    assertReadsOnlyTheRowsItTakes(plan);
  }

  @Test
  void a_claims_generic_plan_made_while_the_outbox_was_empty_still_reads_only_the_rows_it_takes() throws Exception {
    // A claim may reuse a generic plan (TAKE_BUCKETS allows it for its transaction): one made over
    // the empty outbox and its statistics is kept as a backlog grows (inserts alone do not replan),
    // and must still read each bucket's oldest rows through the index. All of it in a transaction
    // rolled back at the end; a prepared statement outlives a rollback, so it is dropped in any case.
    String buckets = java.util.Arrays.toString(allBuckets()).replace('[', '{').replace(']', '}');
    String plan = pool.withConnection(conn -> conn.begin().chain(tx -> conn.preparedQuery(OutboxRelay.TAKE_BUCKETS)
                .execute(Tuple.of((Object) new Integer[] {993}))
                .chain(() -> conn.query("set local plan_cache_mode = force_generic_plan").execute())
                .chain(() -> conn.query("delete from platform_test.outbox_event").execute())
                .chain(() -> conn.query("analyze platform_test.outbox_event").execute()) // statistics of the empty outbox
                .chain(() -> conn.query("prepare generic_claim(int, int[], int, bigint) as " + OutboxRelay.CLAIM).execute())
                .chain(() -> conn.query("execute generic_claim(500, '" + buckets + "', 3, " + CLAIM_BYTES + ")").execute())
                .chain(() -> insertBacklog(conn))
                .chain(() -> conn.query("explain (analyze, format json) execute generic_claim(500, '" + buckets + "', 3, " + CLAIM_BYTES + ")").execute())
                .map(rows -> rows.iterator().next().getValue(0).toString())
                .eventually(tx::rollback))
            .eventually(() -> conn.query("deallocate generic_claim").execute().onFailure().recoverWithNull()))
        .eventually(() -> pool.query("vacuum analyze platform_test.outbox_event").execute())
        .await().indefinitely();

    JsonNode root = assertReadsOnlyTheRowsItTakes(plan);
    assertThat(plan).as("no sequential scan of the backlog").doesNotContain("Seq Scan");
    assertThat(maxRowsOfAStep(root)).as("rows any step of the claim produced, over all its loops").isLessThanOrEqualTo(2 * 500);
  }

  /** The claim's plan (EXPLAIN ANALYZE, JSON) read fewer than 1,000 rows it did not take, through the bucket index. */
  private static JsonNode assertReadsOnlyTheRowsItTakes(String plan) throws Exception {
    List<String> scans = new ArrayList<>();
    long[] discarded = {0};
    JsonNode root = new ObjectMapper().readTree(plan).get(0).get("Plan");
    walk(root, scans, discarded);
    assertThat(discarded[0]).as("rows read and thrown away by the claim (%s)", scans).isLessThan(1_000);
    assertThat(scans).as("index scans of the claim").isNotEmpty().noneMatch(s -> s.contains("seq"));
    return root;
  }

  @Test
  void a_claim_takes_rows_while_their_payload_bytes_fit_and_its_first_row_whatever_its_size() {
    // One key's rows: five plain rows of 400,000 bytes of payload, a batch row of 1,200,000 bytes of
    // events stored compressed in 300,000, and a batch row written before batch_bytes existed (its
    // stored size counts). In a transaction rolled back at the end, the key's buckets emptied first.
    String big = "x".repeat(400_000);
    String batchRow = "insert into platform_test.outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source, tenant_id,"
        + " bucket, batch_size, batch, batch_bytes) select gen_random_uuid(), 'test', 'big-key', 'test', 'null', 'dsync.test', 'test',"
        + " 'bytes-test', " + (Outbox.BATCH_BUCKETS + 5) + ", 20, decode(repeat('ab', 300000), 'hex'), ";
    List<Claim> claims = pool.withTransaction(conn -> conn.query("delete from platform_test.outbox_event where bucket in (5, "
                + (Outbox.BATCH_BUCKETS + 5) + ")").execute()
            .chain(() -> conn.preparedQuery("insert into platform_test.outbox_event (id, aggregatetype, aggregateid, type, payload, topic,"
                    + " source, tenant_id, bucket) select gen_random_uuid(), 'test', 'big-key', 'test', $1, 'dsync.test', 'test',"
                    + " 'bytes-test', 5 from generate_series(1, 5)")
                .execute(Tuple.of(big)))
            .chain(() -> conn.query(batchRow + "1200000").execute())
            .chain(() -> conn.query(batchRow + "null").execute())
            .chain(() -> Multi.createFrom().items(1_000_000L, 100L, 2_000_000L, CLAIM_BYTES)
                .onItem().transformToUniAndConcatenate(limit -> claim(conn, limit))
                .collect().asList())
            .chain(result -> conn.query("rollback").execute().replaceWith(result)))
        .await().indefinitely();

    assertThat(claims.get(0).sizes()).as("800,000 bytes fit 1,000,000; a third row would not").containsExactly(400_000, 400_000);
    assertThat(claims.get(0).rowsLeft()).as("rows left behind: the relay claims again at once").isTrue();
    assertThat(claims.get(1).sizes()).as("the first row is taken even past the limit").containsExactly(400_000);
    assertThat(claims.get(2).sizes()).as("a batch row counts its events' bytes, not its compressed ones")
        .containsExactly(400_000, 400_000, 400_000, 400_000, 400_000);
    assertThat(claims.get(3).sizes()).as("everything fits a large limit")
        .containsExactly(400_000, 400_000, 400_000, 400_000, 400_000, 1_200_000, 300_000);
    assertThat(claims.get(3).rowsLeft()).as("nothing left: the relay waits for the next commit").isFalse();
  }

  private record Claim(List<Integer> sizes, boolean rowsLeft) {}

  /** A claim over bucket 5 (plain and batch rows) of at most {@code limit} payload bytes and 500 events. */
  private static Uni<Claim> claim(SqlConnection conn, long limit) {
    return conn.preparedQuery(OutboxRelay.CLAIM)
        .execute(Tuple.of(500, new Integer[] {5}, 0, limit))
        .map(rows -> {
          List<Integer> sizes = new ArrayList<>();
          long[] picked = {0};
          rows.forEach(r -> {
            sizes.add(r.getInteger("sz"));
            picked[0] = r.getLong("picked_rows");
          });
          return new Claim(sizes, OutboxRelay.rowsLeft(sizes.size(), picked[0], 500));
        });
  }

  @Test
  void taking_buckets_sets_the_claims_planning_for_that_transaction_only() {
    String[] inside = new String[2];
    String settings = "select current_setting('plan_cache_mode') || ' ' || current_setting('enable_seqscan')";
    String after = pool.withConnection(conn -> conn.query("set plan_cache_mode = force_custom_plan").execute()
            .chain(() -> conn.begin())
            .chain(tx -> conn.preparedQuery(OutboxRelay.TAKE_BUCKETS).execute(Tuple.of((Object) new Integer[] {991, 992}))
                .invoke(rows -> assertThat(rows.iterator().next().getArrayOfIntegers(0)).containsExactly(991, 992))
                .chain(() -> conn.query(settings).execute())
                .invoke(rows -> inside[0] = rows.iterator().next().getString(0))
                .call(tx::commit))
            // a claim whose publishing failed is rolled back: its settings go with it too
            .chain(() -> conn.begin())
            .chain(tx -> conn.preparedQuery(OutboxRelay.TAKE_BUCKETS).execute(Tuple.of((Object) new Integer[] {991}))
                .chain(() -> conn.query(settings).execute())
                .invoke(rows -> inside[1] = rows.iterator().next().getString(0))
                .call(tx::rollback))
            .chain(() -> conn.query(settings).execute())
            .map(rows -> rows.iterator().next().getString(0))
            .eventually(() -> conn.query("reset plan_cache_mode").execute()))
        .await().indefinitely();
    assertThat(inside).containsExactly("auto off", "auto off");
    assertThat(after).as("the connection goes back to the pool as it came").isEqualTo("force_custom_plan on");
  }

  private static Uni<RowSet<Row>> insertBacklog(SqlConnection conn) {
    return conn.query("insert into platform_test.outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source, tenant_id,"
            + " bucket, batch_size, batch) select gen_random_uuid(), 'test', 'key-' || g, 'test', 'null', 'dsync.test', 'test',"
            + " 'backlog-test', " + Outbox.BATCH_BUCKETS + " + g % " + Outbox.BUCKETS + ", 20, '\\x00'::bytea"
            + " from generate_series(1, " + BACKLOG + ") g")
        .execute();
  }

  private static long maxRowsOfAStep(JsonNode node) {
    long max = node.path("Actual Rows").asLong(0) * Math.max(1, node.path("Actual Loops").asLong(1));
    for (JsonNode child : node.path("Plans")) {
      max = Math.max(max, maxRowsOfAStep(child));
    }
    return max;
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
