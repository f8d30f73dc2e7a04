package dev.dsync.audit.query;

import dev.dsync.audit.chain.ChainedRecord;
import dev.dsync.audit.chain.RecordRows;
import dev.dsync.audit.config.AuditConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a tenant's records: pages newest first by keyset (occurredAt, position), and a streamed
 * export oldest first through a database cursor. Every statement filters on the tenant, and each
 * filter has an index that starts (tenant_id, column) and ends (occurred_at, seq), so a page is a
 * bounded index range scan however large the table.
 */
@ApplicationScoped
public class AuditQueryService {

  private final Pool pool;
  private final AuditConfig config;
  private final Counter exported;

  public AuditQueryService(Pool pool, AuditConfig config, MeterRegistry registry) {
    this.pool = pool;
    this.config = config;
    this.exported =
        Counter.builder("dsync.audit.export.rows").description("rows read from the database by exports").register(registry);
  }

  public Uni<RecordPage> page(String tenant, RecordFilter filter, Cursor after, int limit) {
    Sql sql = where(tenant, filter);
    if (after != null) {
      sql.text.append(" and (r.occurred_at, r.seq) < (").append(sql.bind(after.occurredAt().atOffset(ZoneOffset.UTC)));
      sql.text.append(", ").append(sql.bind(after.position())).append(')');
    }
    sql.text.append(" order by r.occurred_at desc, r.seq desc limit ").append(sql.bind(limit + 1));
    return pool.preparedQuery(sql.text.toString())
        .execute(Tuple.from(sql.args))
        .map(
            rows -> {
              List<AuditRecordView> items = new ArrayList<>(limit);
              ChainedRecord last = null;
              boolean more = false;
              for (Row row : rows) {
                if (items.size() == limit) {
                  more = true;
                  break;
                }
                last = RecordRows.from(row);
                items.add(AuditRecordView.of(last));
              }
              String next = more ? new Cursor(last.occurredAt(), last.position()).encode() : null;
              return new RecordPage(items, next);
            });
  }

  /**
   * Every matching record, oldest first, fetched {@code fetchSize} rows at a time through a
   * server-side cursor; the downstream's demand drives the fetching, so memory stays bounded.
   */
  public Multi<ChainedRecord> stream(String tenant, RecordFilter filter) {
    Sql sql = where(tenant, filter);
    sql.text.append(" order by r.occurred_at, r.seq");
    String text = sql.text.toString();
    Tuple args = Tuple.from(sql.args);
    return Multi.createFrom()
        .resourceFromUni(pool::getConnection, conn -> cursor(conn, text, args))
        // Closing the connection also ends the read-only transaction and its cursor.
        .withFinalizer(SqlConnection::close);
  }

  private Multi<ChainedRecord> cursor(SqlConnection conn, String text, Tuple args) {
    // A portal (cursor) only lives inside a transaction.
    return conn.begin()
        .chain(tx -> conn.prepare(text))
        .onItem()
        .transformToMulti(ps -> ps.createStream(config.query().fetchSize(), args).toMulti())
        .map(
            row -> {
              exported.increment();
              return RecordRows.from(row);
            });
  }

  private static Sql where(String tenant, RecordFilter f) {
    Sql sql = new Sql();
    sql.text.append("select ").append(RecordRows.COLUMNS).append(" from audit_record r where r.tenant_id = ").append(sql.bind(tenant));
    if (f.from() != null) {
      sql.text.append(" and r.occurred_at >= ").append(sql.bind(f.from().atOffset(ZoneOffset.UTC)));
    }
    if (f.to() != null) {
      sql.text.append(" and r.occurred_at < ").append(sql.bind(f.to().atOffset(ZoneOffset.UTC)));
    }
    eq(sql, "directory_id", f.directoryId());
    eq(sql, "actor_id", f.actor());
    eq(sql, "action", f.action());
    eq(sql, "entity_id", f.entityId());
    eq(sql, "event_type", f.eventType());
    if (f.outcome() != null) {
      eq(sql, "outcome", f.outcome());
      if (!"SUCCESS".equals(f.outcome())) {
        // A literal the planner can match to the partial index (a bind parameter it cannot).
        sql.text.append(" and r.outcome <> 'SUCCESS'");
      }
    }
    return sql;
  }

  private static void eq(Sql sql, String column, String value) {
    if (value != null) {
      sql.text.append(" and r.").append(column).append(" = ").append(sql.bind(value));
    }
  }

  /** SQL text with positional parameters. */
  private static final class Sql {
    final StringBuilder text = new StringBuilder(512);
    final List<Object> args = new ArrayList<>();

    String bind(Object value) {
      args.add(value);
      return "$" + args.size();
    }
  }
}
