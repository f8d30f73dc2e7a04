package dev.dsync.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.dsync.events.source.UserDeleted;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class InstantJsonTest {

  /** What the events read their instants with before: jackson-datatype-jsr310 alone. */
  private static final ObjectMapper JSR310 =
      new ObjectMapper().registerModule(new JavaTimeModule()).disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  @Test
  void every_form_reads_as_jsr310_reads_it() throws Exception {
    for (String json : new String[] {
        "\"2026-12-01T18:00:00Z\"", "\"2026-12-01T18:00:00.1Z\"", "\"2026-12-01T18:00:00.123456Z\"",
        "\"2026-12-01T18:00:00.123456789Z\"", "\"2024-02-29T23:59:59.000001Z\"", "\"2026-12-01T19:00:00.5+01:00\"",
        "\"1970-01-01T00:00:00Z\"", "1764612000", "1764612000.5", "null"}) {
      assertThat(EventJson.mapper().readValue(json, Instant.class)).as(json).isEqualTo(JSR310.readValue(json, Instant.class));
    }
  }

  @Test
  void an_odd_or_malformed_instant_gets_what_jsr310_gives_it() {
    // jsr310 reads some of these (24:00, Feb 30) and refuses others: the fast path leaves them all to it.
    for (String json : new String[] {"\"2026-02-30T18:00:00Z\"", "\"2026-12-01T24:00:00Z\"", "\"2026-12-01T23:59:60Z\"",
        "\"2026-1x-01T18:00:00Z\"", "\"2026-12-01 18:00:00Z\"", "\"yesterday\"", "\"\"", "true"}) {
      assertThat(outcome(EventJson.mapper(), json)).as(json).isEqualTo(outcome(JSR310, json));
    }
    assertThat(outcome(EventJson.mapper(), "\"yesterday\"")).isEqualTo(InvalidFormatException.class);
  }

  private static Object outcome(ObjectMapper mapper, String json) {
    try {
      return mapper.readValue(json, Instant.class);
    } catch (Exception e) {
      return e.getClass();
    }
  }

  @Test
  void an_event_record_reads_its_time_and_writes_it_back_unchanged() {
    String json = "{\"resourceId\":\"u1\",\"sourceVersion\":3,\"sourceTime\":\"2026-12-01T18:00:00.123456Z\"}";
    UserDeleted d = EventJson.read(json, UserDeleted.class);
    assertThat(d.sourceTime()).isEqualTo(Instant.parse("2026-12-01T18:00:00.123456Z"));
    assertThat(EventJson.write(d)).contains("\"sourceTime\":\"2026-12-01T18:00:00.123456Z\"");
  }
}
