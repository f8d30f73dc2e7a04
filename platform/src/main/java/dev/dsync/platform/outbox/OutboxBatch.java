package dev.dsync.platform.outbox;

import dev.dsync.platform.runtime.NativeLz4;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * The stored form of a batch row: its events one after another, each as its fields in a fixed
 * order, every field written as {@code <length>:<chars>} ({@code -1:} for null), the whole as
 * UTF-8 compressed with lz4 behind its uncompressed length. No field needs escaping, so a payload
 * comes back as the exact text written, not parsed and printed again as JSON would be.
 */
public final class OutboxBatch {

  /** One event of a batch, as the relay publishes it. */
  public record Entry(UUID id, String type, String topic, String key, String subject, String tenantId, String directoryId, String payload) {}

  private static final LZ4Compressor COMPRESSOR = NativeLz4.FACTORY.fastCompressor();
  private static final LZ4SafeDecompressor DECOMPRESSOR = NativeLz4.FACTORY.safeDecompressor();

  private OutboxBatch() {}

  /** Appends one event's fields to a batch's text. */
  public static void append(StringBuilder batch, Entry e) {
    field(batch, e.id().toString());
    field(batch, e.type());
    field(batch, e.topic());
    field(batch, e.key());
    field(batch, e.subject());
    field(batch, e.tenantId());
    field(batch, e.directoryId());
    field(batch, e.payload());
  }

  private static void field(StringBuilder out, String value) {
    if (value == null) {
      out.append("-1:");
    } else {
      out.append(value.length()).append(':').append(value);
    }
  }

  /** The stored bytes of a batch's text. */
  public static byte[] compress(CharSequence batch) {
    byte[] text = batch.toString().getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[4 + COMPRESSOR.maxCompressedLength(text.length)];
    ByteBuffer.wrap(out).putInt(text.length);
    int length = COMPRESSOR.compress(text, 0, text.length, out, 4, out.length - 4);
    return java.util.Arrays.copyOf(out, 4 + length);
  }

  /** The entries of a stored batch, in the order they were appended. */
  public static List<Entry> decompress(byte[] stored) {
    if (stored.length < 4) {
      throw new IllegalArgumentException("malformed outbox batch: " + stored.length + " bytes");
    }
    int length = ByteBuffer.wrap(stored).getInt();
    if (length < 0) {
      throw new IllegalArgumentException("malformed outbox batch: length " + length);
    }
    byte[] text = new byte[length];
    int got = DECOMPRESSOR.decompress(stored, 4, stored.length - 4, text, 0, length);
    if (got != length) {
      throw new IllegalArgumentException("malformed outbox batch: " + got + " of " + length + " bytes");
    }
    return decode(new String(text, StandardCharsets.UTF_8));
  }

  /** The entries of a batch's text, in the order they were appended. */
  static List<Entry> decode(String batch) {
    List<Entry> entries = new ArrayList<>();
    int[] at = {0};
    while (at[0] < batch.length()) {
      entries.add(new Entry(UUID.fromString(read(batch, at)), read(batch, at), read(batch, at), read(batch, at), read(batch, at),
          read(batch, at), read(batch, at), read(batch, at)));
    }
    return entries;
  }

  private static String read(String batch, int[] at) {
    int colon = batch.indexOf(':', at[0]);
    if (colon < 0 || colon == at[0]) {
      throw new IllegalArgumentException("malformed outbox batch at " + at[0]);
    }
    int length = Integer.parseInt(batch, at[0], colon, 10);
    if (length < 0) {
      at[0] = colon + 1;
      return null;
    }
    int end = colon + 1 + length;
    if (end > batch.length()) {
      throw new IllegalArgumentException("malformed outbox batch at " + at[0]);
    }
    at[0] = end;
    return batch.substring(colon + 1, end);
  }
}
