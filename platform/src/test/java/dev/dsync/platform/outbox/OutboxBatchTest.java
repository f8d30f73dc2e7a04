package dev.dsync.platform.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class OutboxBatchTest {

  @Test
  void entries_come_back_exactly_whatever_their_text_also_compressed() {
    List<OutboxBatch.Entry> entries = List.of(
        new OutboxBatch.Entry(UUID.randomUUID(), "dsync.user.created", "dsync.identity.events", "dir-1", "u1", "acme", "dir-1",
            "{\"a\":\"12:34\",\"b\":\"-1:\"}"),
        // A tombstone, a key and subject made of the separator and digits, no directory.
        new OutboxBatch.Entry(UUID.randomUUID(), "dsync.identity.state", "dsync.identity.state", "3:abc:", "-1:", "acme", null, null),
        new OutboxBatch.Entry(UUID.randomUUID(), "t", "topic", "", "", "tenant ü 😀", "", "naïve \u0000 \n\t 😀 text"));
    StringBuilder batch = new StringBuilder();
    entries.forEach(e -> OutboxBatch.append(batch, e));

    assertThat(OutboxBatch.decode(batch.toString())).containsExactlyElementsOf(entries);
    assertThat(OutboxBatch.decompress(OutboxBatch.compress(batch))).containsExactlyElementsOf(entries);
  }

  @Test
  void a_truncated_batch_is_refused_not_read_short() {
    StringBuilder one = new StringBuilder();
    OutboxBatch.append(one, new OutboxBatch.Entry(UUID.randomUUID(), "t", "topic", "k", "s", "tenant", "d", "{\"x\":1}"));
    assertThatThrownBy(() -> OutboxBatch.decode(one.substring(0, one.length() - 3))).isInstanceOf(IllegalArgumentException.class);
    byte[] stored = OutboxBatch.compress(one);
    assertThatThrownBy(() -> OutboxBatch.decompress(java.util.Arrays.copyOf(stored, 3))).isInstanceOf(IllegalArgumentException.class);
    assertThat(OutboxBatch.decode("")).isEmpty();
  }
}
