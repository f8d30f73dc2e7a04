package dev.dsync.audit.verify;

import dev.dsync.audit.chain.ChainHash;
import dev.dsync.audit.chain.RecordRows;
import dev.dsync.audit.config.AuditConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;

/**
 * Verifies a tenant's chain by streaming its records in position order through a database cursor
 * (memory stays bounded however long the chain), recomputing every hash and link, and comparing
 * with the recorded checkpoints and the chain head.
 */
@ApplicationScoped
public class ChainVerifier {

  private static final String HEAD = "select seq, hash from chain_head where tenant_id = $1";

  private static final String PRUNED =
      "select head_position, head_hash from audit_checkpoint where tenant_id = $1 and reason = 'RETENTION'"
          + " order by head_position desc limit 1";

  private static final String WINDOW =
      "select min(seq), max(seq) from audit_record where tenant_id = $1 and recorded_at >= $2 and recorded_at < $3";

  private static final String HASH_AT = "select hash from audit_record where tenant_id = $1 and seq = $2";

  private static final String WALK =
      "select "
          + RecordRows.COLUMNS
          + ", (select array_agg(c.head_hash) from audit_checkpoint c"
          + "    where c.tenant_id = r.tenant_id and c.head_position = r.seq) as anchors"
          + " from audit_record r where r.tenant_id = $1 and r.seq between $2 and $3 order by r.seq";

  private static final Instant FAR_PAST = Instant.parse("1970-01-01T00:00:00Z");
  private static final Instant FAR_FUTURE = Instant.parse("9999-01-01T00:00:00Z");

  private final Pool pool;
  private final AuditConfig config;

  public ChainVerifier(Pool pool, AuditConfig config) {
    this.pool = pool;
    this.config = config;
  }

  /**
   * Verifies the whole chain of {@code tenant}, or, with {@code from}/{@code to}, the records
   * appended in that window (plus their link to the record before).
   */
  public Uni<VerificationReport> verify(String tenant, Instant from, Instant to) {
    return pool.withTransaction(
        conn ->
            single(conn, HEAD, Tuple.of(tenant))
                .chain(
                    head ->
                        single(conn, PRUNED, Tuple.of(tenant))
                            .chain(
                                pruned -> {
                                  long headSeq = head == null ? 0 : head.getLong(0);
                                  String headHash = head == null ? ChainHash.GENESIS : head.getString(1);
                                  long prunedThrough = pruned == null ? 0 : pruned.getLong(0);
                                  String prunedHash = pruned == null ? null : pruned.getString(1);
                                  Context ctx = new Context(tenant, headSeq, headHash, prunedThrough, prunedHash);
                                  if (from == null && to == null) {
                                    return walk(conn, ctx, 1, Long.MAX_VALUE, true);
                                  }
                                  return window(conn, ctx, from == null ? FAR_PAST : from, to == null ? FAR_FUTURE : to, to == null);
                                })));
  }

  private record Context(String tenant, long headSeq, String headHash, long prunedThrough, String prunedHash) {}

  private Uni<VerificationReport> window(SqlConnection conn, Context ctx, Instant from, Instant to, boolean toHead) {
    return single(conn, WINDOW, Tuple.of(ctx.tenant(), from.atOffset(ZoneOffset.UTC), to.atOffset(ZoneOffset.UTC)))
        .chain(
            bounds -> {
              if (bounds == null || bounds.getValue(0) == null) {
                return Uni.createFrom().item(report(ctx, new ChainWalk(0, null, ctx.prunedThrough(), ctx.prunedHash())));
              }
              long lo = bounds.getLong(0);
              long hi = toHead ? Long.MAX_VALUE : bounds.getLong(1);
              return walk(conn, ctx, lo, hi, toHead);
            });
  }

  private Uni<VerificationReport> walk(SqlConnection conn, Context ctx, long lo, long hi, boolean toHead) {
    Uni<ChainWalk> start;
    if (lo <= 1) {
      start = Uni.createFrom().item(new ChainWalk(0, ChainHash.GENESIS, ctx.prunedThrough(), ctx.prunedHash()));
    } else {
      // A window starts at the record before it, so its first link is checked too.
      start =
          single(conn, HASH_AT, Tuple.of(ctx.tenant(), lo - 1))
              .map(
                  before -> {
                    String prev =
                        before != null
                            ? before.getString(0)
                            : lo - 1 == ctx.prunedThrough() ? ctx.prunedHash() : null;
                    long prevSeq = before != null || lo - 1 <= ctx.prunedThrough() ? lo - 1 : lo - 2;
                    return new ChainWalk(prevSeq, prev, ctx.prunedThrough(), ctx.prunedHash());
                  });
    }
    return start.chain(
        walk ->
            conn.prepare(WALK)
                .chain(
                    statement ->
                        statement
                            .createStream(config.query().fetchSize(), Tuple.of(ctx.tenant(), lo, hi))
                            .toMulti()
                            // Skip every record that verifies; the first that does not ends the walk.
                            .skip()
                            .where(row -> walk.accept(RecordRows.from(row), anchors(row)))
                            .toUni()
                            .eventually(statement::close))
                .map(
                    brokenRow -> {
                      if (toHead) {
                        walk.finishAtHead(ctx.headSeq(), ctx.headHash());
                      }
                      return report(ctx, walk);
                    }));
  }

  private static VerificationReport report(Context ctx, ChainWalk walk) {
    return new VerificationReport(
        walk.broken() == null,
        walk.checked(),
        walk.first(),
        walk.last(),
        ctx.headSeq(),
        ctx.headHash(),
        ctx.prunedThrough(),
        walk.broken());
  }

  private static List<String> anchors(Row row) {
    String[] anchors = row.getArrayOfStrings("anchors");
    return anchors == null ? null : Arrays.asList(anchors);
  }

  private static Uni<Row> single(SqlConnection conn, String sql, Tuple args) {
    return conn.preparedQuery(sql).execute(args).map(ChainVerifier::firstOrNull);
  }

  private static Row firstOrNull(RowSet<Row> rows) {
    var it = rows.iterator();
    return it.hasNext() ? it.next() : null;
  }
}
