package dev.dsync.platform.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dsync.platform.runtime.NativeLz4;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class OutboxBatchTest {

  private static final List<OutboxBatch.Entry> ENTRIES = List.of(
      entry("dsync.user.created", "dsync.identity.events", "dir-1", "u1", "acme", "dir-1", "{\"a\":\"12:34\",\"b\":\"-1:\"}"),
      // A tombstone, a key and subject made of the old text form's separator and digits, no directory.
      entry("dsync.identity.state", "dsync.identity.state", "3:abc:", "-1:", "acme", null, null),
      entry("t", "topic", "", "", "tenant ü 😀", "", "naïve \u0000 \n\t 😀 text"));

  private static OutboxBatch.Entry entry(String type, String topic, String key, String subject, String tenant, String directory,
      String payload) {
    return new OutboxBatch.Entry(UUID.randomUUID(), type, topic, key, subject, tenant, directory,
        payload == null ? null : payload.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void entries_come_back_exactly_with_their_payload_bytes_untouched() {
    OutboxBatch.Writer batch = new OutboxBatch.Writer();
    ENTRIES.forEach(batch::append);

    assertThat(batch.count()).isEqualTo(3);
    assertThat(OutboxBatch.decode(batch.uncompressed())).containsExactlyElementsOf(ENTRIES);
    List<OutboxBatch.Entry> back = OutboxBatch.decompress(batch.compress());
    assertThat(back).containsExactlyElementsOf(ENTRIES);
    assertThat(back.get(2).payloadText()).isEqualTo("naïve \u0000 \n\t 😀 text");
    assertThat(back.get(1).payload()).isNull();

    // A writer reset for the next row starts it empty.
    assertThat(OutboxBatch.decompress(batch.reset().append(ENTRIES.get(2)).compress())).containsExactly(ENTRIES.get(2));
  }

  @Test
  void a_row_written_by_the_earlier_text_form_is_still_read() {
    StringBuilder text = new StringBuilder();
    for (OutboxBatch.Entry e : ENTRIES) {
      for (String field : Arrays.asList(e.id().toString(), e.type(), e.topic(), e.key(), e.subject(), e.tenantId(), e.directoryId(),
          e.payloadText())) {
        text.append(field == null ? "-1:" : field.length() + ":" + field);
      }
    }
    byte[] plain = text.toString().getBytes(StandardCharsets.UTF_8);
    var compressor = NativeLz4.FACTORY.fastCompressor();
    byte[] stored = new byte[4 + compressor.maxCompressedLength(plain.length)];
    ByteBuffer.wrap(stored).putInt(plain.length);
    int length = compressor.compress(plain, 0, plain.length, stored, 4, stored.length - 4);

    assertThat(OutboxBatch.decompress(Arrays.copyOf(stored, 4 + length))).containsExactlyElementsOf(ENTRIES);
  }

  @Test
  void a_truncated_batch_is_refused_not_read_short() {
    OutboxBatch.Writer one = new OutboxBatch.Writer().append(ENTRIES.get(0));
    byte[] raw = one.uncompressed();
    for (int cut : new int[] {3, 17, 30, raw.length - 1}) {
      assertThatThrownBy(() -> OutboxBatch.decode(Arrays.copyOf(raw, cut))).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> OutboxBatch.decompress(Arrays.copyOf(one.compress(), 3))).isInstanceOf(IllegalArgumentException.class);
    assertThat(OutboxBatch.decode(new byte[0])).isEmpty();
    assertThatThrownBy(() -> OutboxBatch.decodeText("12:abc")).isInstanceOf(IllegalArgumentException.class);
  }
}
