package dev.dsync.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import org.junit.jupiter.api.Test;

class CloudEventTimeTest {

  @Test
  void every_rfc3339_form_reads_as_the_formatter_reads_it() {
    for (String t : new String[] {
        "2026-12-01T18:00:00Z", "2026-12-01T18:00:00.1Z", "2026-12-01T18:00:00.123Z", "2026-12-01T18:00:00.123456Z",
        "2026-12-01T18:00:00.123456789Z", "2024-02-29T23:59:59.000001Z", "2026-12-01T19:00:00.5+01:00", "2026-12-01T18:00:00-05:30", "2026-12-01T18:00:00.Z"}) {
      assertThat(DsyncEvent.time(t)).as(t).isEqualTo(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(t, Instant::from));
    }
  }

  @Test
  void a_malformed_or_impossible_time_is_refused_as_before() {
    for (String t : new String[] {"2026-02-30T18:00:00Z", "2026-12-01T24:00:00Z", "2026-1x-01T18:00:00Z",
        "2026-12-01 18:00:00Z", "yesterday"}) {
      assertThatThrownBy(() -> DsyncEvent.time(t)).as(t).isInstanceOf(DateTimeParseException.class);
    }
  }
}
