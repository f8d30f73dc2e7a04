package dev.dsync.poller.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.mutiny.core.MultiMap;
import org.junit.jupiter.api.Test;

/** Watermarks: the latest change seen, bounded by the moment the listing began. */
class WatermarksTest {

  static SourceHttp.Response withDate(String date) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    if (date != null) {
      headers.add("Date", date);
    }
    return new SourceHttp.Response(200, headers, "[]");
  }

  @Test
  void later_compares_times_not_text_and_keeps_the_source_form() {
    assertThat(Watermarks.later("2026-01-05T08:00:25.000Z", "2026-01-05T09:00:25+02:00")).isEqualTo("2026-01-05T08:00:25.000Z");
    assertThat(Watermarks.later("2026-01-05T08:00:25.000Z", "2026-01-05T08:00:25.001Z")).isEqualTo("2026-01-05T08:00:25.001Z");
    assertThat(Watermarks.later(null, "2026-01-05T08:00:25Z")).isEqualTo("2026-01-05T08:00:25Z");
    assertThat(Watermarks.later("2026-01-05T08:00:25Z", null)).isEqualTo("2026-01-05T08:00:25Z");
    assertThat(Watermarks.later("2026-01-05T08:00:25Z", "yesterday")).isEqualTo("2026-01-05T08:00:25Z");
  }

  @Test
  void the_cap_is_the_server_date_less_the_skew() {
    assertThat(Watermarks.cap(withDate("Mon, 05 Jan 2026 08:10:00 GMT"))).isEqualTo("2026-01-05T08:09:00.000Z");
  }

  @Test
  void the_next_watermark_never_passes_the_listing_start() {
    String cap = "2026-01-05T08:09:00.000Z";
    // A change made while the listing ran (later than its start) is read again next time.
    assertThat(Watermarks.next("2026-01-05T08:09:30.000Z", cap, null)).isEqualTo(cap);
    assertThat(Watermarks.next("2026-01-05T08:00:25.000Z", cap, null)).isEqualTo("2026-01-05T08:00:25.000Z");
    // Nothing seen: an incremental run keeps its watermark, a first run starts from the listing's start.
    assertThat(Watermarks.next(null, cap, "2026-01-01T00:00:00.000Z")).isEqualTo("2026-01-01T00:00:00.000Z");
    assertThat(Watermarks.next(null, cap, null)).isEqualTo(cap);
  }
}
