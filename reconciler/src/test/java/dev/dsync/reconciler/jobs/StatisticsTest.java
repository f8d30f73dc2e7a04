package dev.dsync.reconciler.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The statistics a sync job refreshes as it grows cover the key columns, not the JSON documents. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class StatisticsTest {

  @Inject Pool pool;

  @Test
  void analyze_samples_the_columns_plans_use_and_skips_the_documents() {
    pool.query("insert into canonical_user (id, tenant_id, directory_id, user_name, state, attributes, raw, provenance)"
            + " select gen_random_uuid(), 'stats-tenant', 'stats-dir', 'u' || i, 'ACTIVE', '{\"a\":' || i || '}', '{}', '{}'"
            + " from generate_series(1, 50) i")
        .execute().await().indefinitely();
    pool.query("analyze canonical_user").execute().await().indefinitely();

    List<String> columns = new ArrayList<>();
    for (Row r : pool.query("select attname from pg_stats where tablename = 'canonical_user' and schemaname = current_schema()")
        .execute().await().indefinitely()) {
      columns.add(r.getString(0));
    }
    assertThat(columns).contains("tenant_id", "user_name", "deleted").doesNotContain("attributes", "raw", "provenance");
  }
}
