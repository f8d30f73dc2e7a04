package dev.dsync.audit.ingest;

import dev.dsync.audit.chain.CanonicalJson;
import dev.dsync.audit.chain.ChainHash;
import dev.dsync.audit.chain.ChainedRecord;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Appends drafts to their tenants' chains in one transaction of four statements, however many
 * tenants a batch holds: lock (or create) every tenant's chain-head row, in tenant order so two
 * batches never deadlock; then, after the locks, find the events already recorded; hash the new
 * records onto the heads; insert them all in one multi-row insert; move the heads. Concurrent
 * consumers and replicas therefore extend a tenant's chain strictly one after the other.
 */
@ApplicationScoped
public class ChainAppender {

  /**
   * Creates missing heads and, either way, locks them all and returns them. Rows are inserted, and
   * so locked, in the order of the select, the same in every transaction.
   */
  private static final String LOCK_HEADS =
      "insert into chain_head (tenant_id, seq, hash, recorded_at)"
          + " select t, 0, $2, $3 from unnest($1::text[]) as t order by t"
          + " on conflict (tenant_id) do update set tenant_id = excluded.tenant_id"
          + " returning tenant_id, seq, hash, recorded_at";

  private static final String EXISTING = "select event_id from audit_record where event_id = any($1)";

  private static final String INSERT =
      "insert into audit_record (tenant_id, seq, event_id, event_type, source, directory_id,"
          + " occurred_at, recorded_at, actor_kind, actor_id, action, entity_type, entity_id, outcome,"
          + " job_id, trace_id, data, prev_hash, hash)"
          + " select u.tenant_id, u.seq, u.event_id, u.event_type, u.source, u.directory_id, u.occurred_at,"
          + " u.recorded_at, u.actor_kind, u.actor_id, u.action, u.entity_type, u.entity_id, u.outcome,"
          + " u.job_id, u.trace_id, u.data::jsonb, u.prev_hash, u.hash"
          + " from unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[],"
          + " $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[],"
          + " $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])"
          + " as u(tenant_id, seq, event_id, event_type, source, directory_id, occurred_at, recorded_at,"
          + " actor_kind, actor_id, action, entity_type, entity_id, outcome, job_id, trace_id, data,"
          + " prev_hash, hash)";

  private static final String MOVE_HEADS =
      "update chain_head h set seq = u.seq, hash = u.hash, recorded_at = u.recorded_at"
          + " from unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[])"
          + " as u(tenant_id, seq, hash, recorded_at) where h.tenant_id = u.tenant_id";

  private static final OffsetDateTime EPOCH = OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

  private final Pool pool;

  public ChainAppender(Pool pool) {
    this.pool = pool;
  }

  /** What one append did. */
  public record Appended(int recorded, int duplicates) {}

  /** A tenant's chain head as locked. */
  private record Head(long seq, String hash, Instant recordedAt) {}

  /** Appends every draft not yet recorded, all in one transaction; answers the counts. */
  public Uni<Appended> append(List<AuditDraft> drafts) {
    if (drafts.isEmpty()) {
      return Uni.createFrom().item(new Appended(0, 0));
    }
    String[] tenants = drafts.stream().map(AuditDraft::tenantId).distinct().toArray(String[]::new);
    UUID[] ids = drafts.stream().map(AuditDraft::eventId).distinct().toArray(UUID[]::new);
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(LOCK_HEADS)
                .execute(Tuple.of(tenants, ChainHash.GENESIS, EPOCH))
                .chain(
                    headRows -> {
                      Map<String, Head> heads = new HashMap<>();
                      for (Row r : headRows) {
                        heads.put(
                            r.getString("tenant_id"),
                            new Head(r.getLong("seq"), r.getString("hash"), r.getOffsetDateTime("recorded_at").toInstant()));
                      }
                      // After the locks: a concurrent append of the same events has committed by now.
                      return conn.preparedQuery(EXISTING)
                          .execute(Tuple.of(ids))
                          .chain(existing -> insert(conn, drafts, heads, existing));
                    }));
  }

  private Uni<Appended> insert(SqlConnection conn, List<AuditDraft> drafts, Map<String, Head> heads, RowSet<Row> existing) {
    Set<UUID> seen = new HashSet<>();
    existing.forEach(r -> seen.add(r.getUUID(0)));
    // Kafka order within each tenant; an event id is recorded once even if it came twice.
    Map<String, List<AuditDraft>> fresh = new LinkedHashMap<>();
    for (AuditDraft d : drafts) {
      if (seen.add(d.eventId())) {
        fresh.computeIfAbsent(d.tenantId(), t -> new ArrayList<>()).add(d);
      }
    }
    List<ChainedRecord> chained = new ArrayList<>(drafts.size());
    List<String> dataTexts = new ArrayList<>(drafts.size());
    List<ChainedRecord> lasts = new ArrayList<>(fresh.size());
    for (Map.Entry<String, List<AuditDraft>> e : fresh.entrySet()) {
      Head head = heads.get(e.getKey());
      List<ChainedRecord> records = chain(e.getValue(), head.seq(), head.hash(), head.recordedAt(), dataTexts);
      chained.addAll(records);
      lasts.add(records.get(records.size() - 1));
    }
    int duplicates = drafts.size() - chained.size();
    if (chained.isEmpty()) {
      return Uni.createFrom().item(new Appended(0, duplicates));
    }
    return conn.preparedQuery(INSERT)
        .execute(insertTuple(chained, dataTexts))
        .chain(() -> conn.preparedQuery(MOVE_HEADS).execute(headsTuple(lasts)))
        .replaceWith(new Appended(chained.size(), duplicates));
  }

  static List<ChainedRecord> chain(
      Iterable<AuditDraft> drafts, long headSeq, String headHash, Instant headRecordedAt) {
    return chain(drafts, headSeq, headHash, headRecordedAt, new ArrayList<>());
  }

  /** Chains the drafts onto the head; adds each record's canonical data text to {@code dataTexts}. */
  static List<ChainedRecord> chain(
      Iterable<AuditDraft> drafts, long headSeq, String headHash, Instant headRecordedAt, List<String> dataTexts) {
    // recorded_at never goes backwards along a chain, even if clocks of replicas differ a little.
    Instant now = ChainHash.micros(Instant.now());
    Instant recordedAt = now.isAfter(headRecordedAt) ? now : headRecordedAt;
    List<ChainedRecord> out = new ArrayList<>();
    long seq = headSeq;
    String prev = headHash;
    for (AuditDraft d : drafts) {
      // The canonical data is both hashed and stored: written once.
      String data = CanonicalJson.write(d.data());
      dataTexts.add(data);
      ChainedRecord r = d.chain(++seq, recordedAt, prev, data);
      out.add(r);
      prev = r.hash();
    }
    return out;
  }

  private static Tuple headsTuple(List<ChainedRecord> lasts) {
    int n = lasts.size();
    String[] tenant = new String[n];
    Long[] seq = new Long[n];
    String[] hash = new String[n];
    OffsetDateTime[] recorded = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      ChainedRecord r = lasts.get(i);
      tenant[i] = r.tenantId();
      seq[i] = r.position();
      hash[i] = r.hash();
      recorded[i] = r.recordedAt().atOffset(ZoneOffset.UTC);
    }
    return Tuple.of(tenant, seq, hash, recorded);
  }

  private static Tuple insertTuple(List<ChainedRecord> records, List<String> dataTexts) {
    int n = records.size();
    String[] tenant = new String[n];
    Long[] seq = new Long[n];
    UUID[] eventId = new UUID[n];
    String[] eventType = new String[n];
    String[] source = new String[n];
    String[] directory = new String[n];
    OffsetDateTime[] occurred = new OffsetDateTime[n];
    OffsetDateTime[] recorded = new OffsetDateTime[n];
    String[] actorKind = new String[n];
    String[] actorId = new String[n];
    String[] action = new String[n];
    String[] entityType = new String[n];
    String[] entityId = new String[n];
    String[] outcome = new String[n];
    String[] jobId = new String[n];
    String[] traceId = new String[n];
    String[] data = new String[n];
    String[] prevHash = new String[n];
    String[] hash = new String[n];
    for (int i = 0; i < n; i++) {
      ChainedRecord r = records.get(i);
      tenant[i] = r.tenantId();
      seq[i] = r.position();
      eventId[i] = r.eventId();
      eventType[i] = r.eventType();
      source[i] = r.source();
      directory[i] = r.directoryId();
      occurred[i] = r.occurredAt().atOffset(ZoneOffset.UTC);
      recorded[i] = r.recordedAt().atOffset(ZoneOffset.UTC);
      actorKind[i] = r.actorKind();
      actorId[i] = r.actorId();
      action[i] = r.action();
      entityType[i] = r.entityType();
      entityId[i] = r.entityId();
      outcome[i] = r.outcome();
      jobId[i] = r.jobId();
      traceId[i] = r.traceId();
      data[i] = dataTexts.get(i);
      prevHash[i] = r.prevHash();
      hash[i] = r.hash();
    }
    return Tuple.from(
        new Object[] {
          tenant, seq, eventId, eventType, source, directory, occurred, recorded, actorKind, actorId,
          action, entityType, entityId, outcome, jobId, traceId, data, prevHash, hash
        });
  }
}
