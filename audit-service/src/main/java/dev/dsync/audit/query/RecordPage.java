package dev.dsync.audit.query;

import java.util.List;

/** One page of records, newest first; {@code nextCursor} is null on the last page. */
public record RecordPage(List<AuditRecordView> items, String nextCursor) {}
