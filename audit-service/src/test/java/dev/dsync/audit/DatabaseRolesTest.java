package dev.dsync.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.reactive.datasource.ReactiveDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class DatabaseRolesTest {

  @Inject Pool writer;

  @Inject
  @ReactiveDataSource("retention")
  Pool retention;

  @Test
  void the_service_connection_runs_as_audit_writer_and_cannot_update_or_delete_audit_rows() {
    String tenant = Tokens.newTenant();
    Seed.auditRecords(tenant, 3);

    assertThat(scalar(writer, "select current_user")).isEqualTo("audit_writer");
    assertThat(scalar(writer, "select count(*)::text from audit_record where tenant_id = '" + tenant + "'")).isEqualTo("3");
    assertThatThrownBy(() -> exec(writer, "update audit_record set action = 'x' where tenant_id = $1", tenant))
        .hasMessageContaining("permission denied");
    assertThatThrownBy(() -> exec(writer, "delete from audit_record where tenant_id = $1", tenant))
        .hasMessageContaining("permission denied");
    assertThatThrownBy(() -> exec(writer, "truncate audit_record"))
        .hasMessageContaining("permission denied");
    assertThatThrownBy(() -> exec(writer, "update audit_checkpoint set head_hash = 'x' where tenant_id = $1", tenant))
        .hasMessageContaining("permission denied");
    assertThat(Db.count("select count(*) from audit.audit_record where tenant_id = ?", tenant)).isEqualTo(3);
  }

  @Test
  void the_retention_connection_may_delete_but_not_change_or_add_audit_rows() {
    String tenant = Tokens.newTenant();
    Seed.auditRecords(tenant, 2);

    assertThat(scalar(retention, "select current_user")).isEqualTo("audit_retention");
    assertThatThrownBy(() -> exec(retention, "update audit_record set action = 'x' where tenant_id = $1", tenant))
        .hasMessageContaining("permission denied");
    assertThatThrownBy(
            () -> exec(retention, "insert into audit_record select * from audit_record where tenant_id = $1", tenant))
        .hasMessageContaining("permission denied");
    assertThatThrownBy(() -> exec(retention, "update chain_head set seq = 0 where tenant_id = $1", tenant))
        .hasMessageContaining("permission denied");
    assertThat(exec(retention, "delete from audit_record where tenant_id = $1 and seq = 1", tenant)).isEqualTo(1);
  }

  private static String scalar(Pool pool, String sql) {
    return pool.query(sql).execute().await().indefinitely().iterator().next().getValue(0).toString();
  }

  private static int exec(Pool pool, String sql, Object... args) {
    return pool.preparedQuery(sql).execute(Tuple.from(args)).await().indefinitely().rowCount();
  }
}
