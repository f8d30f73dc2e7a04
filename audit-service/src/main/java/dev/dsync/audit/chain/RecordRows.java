package dev.dsync.audit.chain;

import io.vertx.mutiny.sqlclient.Row;
import java.time.OffsetDateTime;

/** Reads stored audit rows back into {@link ChainedRecord}s (the same form they were hashed in). */
public final class RecordRows {

  /** The columns of a record, with the data as text so it is parsed exactly (numbers included). */
  public static final String COLUMNS =
      "r.tenant_id, r.seq, r.event_id, r.event_type, r.source, r.directory_id, r.occurred_at,"
          + " r.recorded_at, r.actor_kind, r.actor_id, r.action, r.entity_type, r.entity_id, r.outcome,"
          + " r.job_id, r.trace_id, r.data::text as data_text, r.prev_hash, r.hash";

  private RecordRows() {}

  public static ChainedRecord from(Row row) {
    return new ChainedRecord(
        row.getString("tenant_id"),
        row.getLong("seq"),
        row.getUUID("event_id"),
        row.getString("event_type"),
        row.getString("source"),
        row.getString("directory_id"),
        instant(row.getOffsetDateTime("occurred_at")),
        instant(row.getOffsetDateTime("recorded_at")),
        row.getString("actor_kind"),
        row.getString("actor_id"),
        row.getString("action"),
        row.getString("entity_type"),
        row.getString("entity_id"),
        row.getString("outcome"),
        row.getString("job_id"),
        row.getString("trace_id"),
        CanonicalJson.parse(row.getString("data_text")),
        row.getString("prev_hash"),
        row.getString("hash"));
  }

  private static java.time.Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
