package dev.dsync.events.source;

/** How a polled sync job reads its source. */
public enum SyncMode {
  /** Only what changed since the last checkpoint (delta link, watermark, USN). */
  INCREMENTAL,
  /** Everything; what was not seen is reported deleted. */
  COMPLETE
}
