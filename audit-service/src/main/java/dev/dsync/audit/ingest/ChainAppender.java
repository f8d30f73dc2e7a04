package dev.dsync.audit.ingest;

import dev.dsync.audit.chain.CanonicalJson;
import dev.dsync.audit.chain.ChainHash;
import dev.dsync.audit.chain.ChainedRecord;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Appends drafts to their tenants' chains in one transaction. Per tenant it locks the chain-head
 * row (the upsert below takes the row lock), skips events already recorded, hashes the new records
 * onto the head, inserts them and moves the head, so concurrent consumers and replicas extend a
 * tenant's chain strictly one after the other. Tenants are locked in sorted order, so two batches
 * never deadlock.
 */
@ApplicationScoped
public class ChainAppender {

  /** Creates the head on first use and, either way, locks it and returns it. */
  private static final String LOCK_HEAD =
      "insert into chain_head (tenant_id, seq, hash, recorded_at) values ($1, 0, $2, $3)"
          + " on conflict (tenant_id) do update set tenant_id = excluded.tenant_id"
          + " returning seq, hash, recorded_at";

  private static final String EXISTING = "select event_id from audit_record where event_id = any($1)";

  private static final String INSERT =
      "insert into audit_record (tenant_id, seq, event_id, event_type, source, directory_id,"
          + " occurred_at, recorded_at, actor_kind, actor_id, action, entity_type, entity_id, outcome,"
          + " job_id, trace_id, data, prev_hash, hash)"
          + " select $1, u.seq, u.event_id, u.event_type, u.source, u.directory_id, u.occurred_at,"
          + " u.recorded_at, u.actor_kind, u.actor_id, u.action, u.entity_type, u.entity_id, u.outcome,"
          + " u.job_id, u.trace_id, u.data::jsonb, u.prev_hash, u.hash"
          + " from unnest($2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[],"
          + " $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[],"
          + " $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])"
          + " as u(seq, event_id, event_type, source, directory_id, occurred_at, recorded_at, actor_kind,"
          + " actor_id, action, entity_type, entity_id, outcome, job_id, trace_id, data, prev_hash, hash)";

  private static final String MOVE_HEAD =
      "update chain_head set seq = $2, hash = $3, recorded_at = $4 where tenant_id = $1";

  private static final OffsetDateTime EPOCH = OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

  private final Pool pool;

  public ChainAppender(Pool pool) {
    this.pool = pool;
  }

  /** What one append did. */
  public record Appended(int recorded, int duplicates) {}

  /** Appends every draft not yet recorded, all in one transaction; answers the counts. */
  public Uni<Appended> append(List<AuditDraft> drafts) {
    if (drafts.isEmpty()) {
      return Uni.createFrom().item(new Appended(0, 0));
    }
    Map<String, List<AuditDraft>> byTenant = new TreeMap<>();
    for (AuditDraft d : drafts) {
      byTenant.computeIfAbsent(d.tenantId(), t -> new ArrayList<>()).add(d);
    }
    return pool.withTransaction(
        conn -> {
          Uni<Appended> chain = Uni.createFrom().item(new Appended(0, 0));
          for (Map.Entry<String, List<AuditDraft>> e : byTenant.entrySet()) {
            chain =
                chain.chain(
                    total ->
                        appendTenant(conn, e.getKey(), e.getValue())
                            .map(a -> new Appended(total.recorded() + a.recorded(), total.duplicates() + a.duplicates())));
          }
          return chain;
        });
  }

  private Uni<Appended> appendTenant(SqlConnection conn, String tenant, List<AuditDraft> drafts) {
    return conn.preparedQuery(LOCK_HEAD)
        .execute(Tuple.of(tenant, ChainHash.GENESIS, EPOCH))
        .chain(
            headRows -> {
              Row head = headRows.iterator().next();
              UUID[] ids = drafts.stream().map(AuditDraft::eventId).toArray(UUID[]::new);
              // After the lock: a concurrent append of the same event has committed by now.
              return conn.preparedQuery(EXISTING)
                  .execute(Tuple.of(ids))
                  .chain(
                      existing -> {
                        Set<UUID> seen = new HashSet<>();
                        existing.forEach(r -> seen.add(r.getUUID(0)));
                        Map<UUID, AuditDraft> fresh = new LinkedHashMap<>();
                        for (AuditDraft d : drafts) {
                          if (!seen.contains(d.eventId())) {
                            fresh.putIfAbsent(d.eventId(), d);
                          }
                        }
                        int duplicates = drafts.size() - fresh.size();
                        if (fresh.isEmpty()) {
                          return Uni.createFrom().item(new Appended(0, duplicates));
                        }
                        List<ChainedRecord> chained =
                            chain(
                                fresh.values(),
                                head.getLong("seq"),
                                head.getString("hash"),
                                head.getOffsetDateTime("recorded_at").toInstant());
                        ChainedRecord last = chained.get(chained.size() - 1);
                        return conn.preparedQuery(INSERT)
                            .execute(insertTuple(tenant, chained))
                            .chain(
                                () ->
                                    conn.preparedQuery(MOVE_HEAD)
                                        .execute(
                                            Tuple.of(
                                                tenant,
                                                last.position(),
                                                last.hash(),
                                                last.recordedAt().atOffset(ZoneOffset.UTC))))
                            .replaceWith(new Appended(chained.size(), duplicates));
                      });
            });
  }

  static List<ChainedRecord> chain(
      Iterable<AuditDraft> drafts, long headSeq, String headHash, Instant headRecordedAt) {
    // recorded_at never goes backwards along a chain, even if clocks of replicas differ a little.
    Instant now = ChainHash.micros(Instant.now());
    Instant recordedAt = now.isAfter(headRecordedAt) ? now : headRecordedAt;
    List<ChainedRecord> out = new ArrayList<>();
    long seq = headSeq;
    String prev = headHash;
    for (AuditDraft d : drafts) {
      ChainedRecord r = d.chain(++seq, recordedAt, prev);
      out.add(r);
      prev = r.hash();
    }
    return out;
  }

  private static Tuple insertTuple(String tenant, List<ChainedRecord> records) {
    int n = records.size();
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
      data[i] = CanonicalJson.write(r.data());
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
