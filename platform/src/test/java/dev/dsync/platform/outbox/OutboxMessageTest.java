package dev.dsync.platform.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutboxMessageTest {

  @Test
  void a_written_message_keeps_its_id_and_is_stored_as_the_same_json() {
    OutboxMessage message = OutboxMessage.of(EventType.AUDIT_RECORD, "k", "t", "d", "s", Map.of("name", "Ada", "n", 1));
    OutboxMessage written = message.written();
    assertThat(written.id()).isEqualTo(message.id());
    assertThat(written.data()).isInstanceOf(JsonText.class);
    assertThat(Outbox.payload(written, 1000)).isEqualTo(EventJson.write(message.data()));
    assertThat(Outbox.payloadBytes(written, 1000)).isEqualTo(EventJson.writeBytes(message.data()));
    assertThat(((JsonText) written.data()).json()).isEqualTo(EventJson.write(message.data()));
    assertThat(written.written()).isSameAs(written);
    OutboxMessage tombstone = OutboxMessage.tombstone(EventType.IDENTITY_STATE, "k", "t", "d", "s");
    assertThat(tombstone.written()).isSameAs(tombstone);
  }
}
