package dev.dsync.poller.source;

import java.util.List;

/**
 * One page read from a source. {@code cursor} is where the next page starts and is committed with
 * this page's events; {@code last} ends the listing, and then {@code incrementalState} is where the
 * next incremental job starts (delta links, watermarks).
 */
public record Page(List<SourceChange> changes, String cursor, boolean last, String incrementalState) {

  public static Page more(List<SourceChange> changes, String cursor) {
    return new Page(changes, cursor, false, null);
  }

  public static Page last(List<SourceChange> changes, String incrementalState) {
    return new Page(changes, null, true, incrementalState);
  }
}
