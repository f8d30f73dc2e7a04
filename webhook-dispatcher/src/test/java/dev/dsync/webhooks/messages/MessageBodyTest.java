package dev.dsync.webhooks.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The webhook body streamed from the event data: the bytes the tree mapper wrote, and the sequence. */
class MessageBodyTest {

  private static final Instant AT = Instant.parse("2026-01-02T03:04:05.123456789Z");

  /** The body as it was built before: data parsed to a tree, wrapped, written again. */
  private static String viaTree(String type, Instant at, String data) throws IOException {
    ObjectNode body = EventJson.mapper().createObjectNode();
    body.put("type", type);
    body.put("timestamp", at.toString());
    body.set("data", EventJson.mapper().readTree(data));
    return EventJson.write(body);
  }

  @Test
  void every_golden_sample_becomes_the_same_bytes_as_through_a_tree() throws Exception {
    for (EventType type : EventType.values()) {
      String data;
      try (InputStream in = EventType.class.getClassLoader().getResourceAsStream(type.sampleResource())) {
        if (in == null) {
          continue;
        }
        data = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      WebhookMessage m = MessageService.message(UUID.randomUUID(), "t", null, type.type(), AT, data);
      assertThat(m.payload).as(type.type()).isEqualTo(viaTree(type.type(), Instant.parse("2026-01-02T03:04:05.123456Z"), data));
      JsonNode sequence = EventJson.mapper().readTree(data).get("sequence");
      assertThat(m.sequence).as(type.type()).isEqualTo(sequence != null && sequence.canConvertToLong() ? sequence.asLong() : null);
    }
  }

  @Test
  void the_sequence_is_read_from_the_top_level_only_and_unusual_values_pass_unchanged() throws Exception {
    String data = "{ \"nested\": {\"sequence\": 7}, \"unicode\": \"h\\u00e9 \\\"q\\\" \u2713\", \"n\": [1, 2.5, -3e2, null, true],"
        + " \"big\": 123456789012345678901234567890, \"gone\": null, \"sequence\": 42 }";
    WebhookMessage m = MessageService.message(UUID.randomUUID(), "t", "d", "dsync.user.updated", AT, data);
    assertThat(m.sequence).isEqualTo(42L);
    assertThat(m.payload).isEqualTo(viaTree("dsync.user.updated", Instant.parse("2026-01-02T03:04:05.123456Z"), data));
    assertThat(MessageService.message(UUID.randomUUID(), "t", null, "x", AT, "{\"sequence\":\"42\"}").sequence).isNull();
    assertThat(MessageService.message(UUID.randomUUID(), "t", null, "x", AT, "[1,2]").payload)
        .isEqualTo("{\"type\":\"x\",\"timestamp\":\"2026-01-02T03:04:05.123456Z\",\"data\":[1,2]}");
  }

  @Test
  void data_that_is_not_json_is_refused() {
    for (String bad : new String[] {"", "{\"a\":", "not json", "{\"a\" 1}"}) {
      assertThatThrownBy(() -> MessageService.message(UUID.randomUUID(), "t", null, "x", AT, bad)).as(bad).isInstanceOf(UncheckedIOException.class);
    }
  }
}
