package dev.dsync.reconciler.jobs;

import dev.dsync.platform.outbox.OutboxBatch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch row's changes, stored in the outbox's batch form (lz4): per change its event id, type,
 * resource id (the entry's key) and JSON (its payload).
 */
public final class StagedBatch {

  private StagedBatch() {}

  /** The stored bytes of {@code changes}, in order. */
  public static byte[] write(List<StagedChange> changes) {
    OutboxBatch.Writer writer = new OutboxBatch.Writer();
    for (StagedChange s : changes) {
      writer.append(s.eventId, s.type, null, s.resourceId, null, null, null, s.payload.getBytes(StandardCharsets.UTF_8));
    }
    return writer.compress();
  }

  /**
   * The changes a stored row holds, in order: a batch row's expanded (each with the row's id, job
   * and action), a single row as it is.
   */
  public static List<StagedChange> expand(StagedChange row) {
    if (row.batch == null) {
      return List.of(row);
    }
    List<OutboxBatch.Entry> entries = OutboxBatch.decompress(row.batch);
    List<StagedChange> out = new ArrayList<>(entries.size());
    for (OutboxBatch.Entry e : entries) {
      StagedChange s = new StagedChange();
      s.id = row.id;
      s.jobId = row.jobId;
      s.eventId = e.id();
      s.type = e.type();
      s.resourceId = e.key();
      s.action = row.action;
      s.inBatchRow = true;
      s.payload = e.payloadText();
      out.add(s);
    }
    return out;
  }
}
