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
  @Inject ApplyingJobs applyingJobs;

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

  @Test
  void a_jobs_analysis_samples_coarsely_and_leaves_the_session_default_alone() {
    pool.query("insert into canonical_user (id, tenant_id, directory_id, user_name, state, attributes, raw, provenance)"
            + " select gen_random_uuid(), 'coarse-tenant', 'coarse-dir', 'coarse-' || i, 'ACTIVE', '{}', '{}', '{}'"
            + " from generate_series(1, 500) i")
        .execute().await().indefinitely();
    applyingJobs.analyze().await().indefinitely();
    assertThat(histogramBounds()).isBetween(2, ApplyingJobs.ANALYZE_TARGET + 1);

    pool.query("analyze canonical_user").execute().await().indefinitely();
    assertThat(histogramBounds()).as("a plain analyze keeps the default target").isGreaterThan(ApplyingJobs.ANALYZE_TARGET + 1);
  }

  private int histogramBounds() {
    return pool.query("select coalesce(array_length(histogram_bounds, 1), 0) from pg_stats where tablename = 'canonical_user'"
            + " and schemaname = current_schema() and attname = 'user_name'")
        .execute().await().indefinitely().iterator().next().getInteger(0);
  }
}
