package dev.dsync.platform.outbox;

import dev.dsync.platform.runtime.NativeLz4;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * The stored form of a batch row: its events one after another, compressed with lz4 behind a
 * header. An event is its id (16 bytes), then type, topic, key, subject, tenant, directory and
 * payload, each as a 4-byte length ({@code -1}: null) and its UTF-8 bytes. The payload is the
 * JSON exactly as written; the relay hands those bytes to Kafka without decoding them.
 *
 * <p>The header is {@code -(length) - 1} of the uncompressed bytes: negative, so a row written by an
 * earlier version (its header the length of a text batch, {@code <length>:<chars>} per field) is
 * still read.
 */
public final class OutboxBatch {

  /** One event of a batch, as the relay publishes it; a null payload is a tombstone. */
  public record Entry(UUID id, String type, String topic, String key, String subject, String tenantId, String directoryId, byte[] payload) {

    public String payloadText() {
      return payload == null ? null : new String(payload, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e && id.equals(e.id) && java.util.Objects.equals(type, e.type) && java.util.Objects.equals(topic, e.topic)
          && java.util.Objects.equals(key, e.key) && java.util.Objects.equals(subject, e.subject)
          && java.util.Objects.equals(tenantId, e.tenantId) && java.util.Objects.equals(directoryId, e.directoryId)
          && Arrays.equals(payload, e.payload);
    }

    @Override
    public int hashCode() {
      return id.hashCode() * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
      return "Entry[" + id + ", " + type + ", " + topic + ", " + key + ", " + subject + ", " + tenantId + ", " + directoryId + ", "
          + payloadText() + "]";
    }
  }

  private static final LZ4Compressor COMPRESSOR = NativeLz4.FACTORY.fastCompressor();
  private static final LZ4SafeDecompressor DECOMPRESSOR = NativeLz4.FACTORY.safeDecompressor();

  private OutboxBatch() {}

  /** A batch row being written: its events' bytes, appended in order. */
  public static final class Writer {
    private byte[] bytes = new byte[16 * 1024];
    private int size;
    private int count;

    public Writer append(UUID id, String type, String topic, String key, String subject, String tenantId, String directoryId,
        byte[] payload) {
      ensure(16);
      putLong(id.getMostSignificantBits());
      putLong(id.getLeastSignificantBits());
      field(type);
      field(topic);
      field(key);
      field(subject);
      field(tenantId);
      field(directoryId);
      field(payload);
      count++;
      return this;
    }

    public Writer append(Entry e) {
      return append(e.id(), e.type(), e.topic(), e.key(), e.subject(), e.tenantId(), e.directoryId(), e.payload());
    }

    /** Starts the next row in the same buffer. */
    public Writer reset() {
      size = 0;
      count = 0;
      return this;
    }

    /** Events appended so far. */
    public int count() {
      return count;
    }

    /** Uncompressed bytes appended so far. */
    public int size() {
      return size;
    }

    /** The uncompressed bytes (a copy). */
    public byte[] uncompressed() {
      return Arrays.copyOf(bytes, size);
    }

    /** The row's stored bytes: the header and the compressed events. */
    public byte[] compress() {
      byte[] out = new byte[4 + COMPRESSOR.maxCompressedLength(size)];
      ByteBuffer.wrap(out).putInt(-size - 1);
      int length = COMPRESSOR.compress(bytes, 0, size, out, 4, out.length - 4);
      return Arrays.copyOf(out, 4 + length);
    }

    private void field(String value) {
      field(value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    private void field(byte[] value) {
      int length = value == null ? -1 : value.length;
      ensure(4 + Math.max(length, 0));
      putInt(length);
      if (value != null) {
        System.arraycopy(value, 0, bytes, size, length);
        size += length;
      }
    }

    private void ensure(int more) {
      if (size + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
      }
    }

    private void putInt(int v) {
      bytes[size++] = (byte) (v >>> 24);
      bytes[size++] = (byte) (v >>> 16);
      bytes[size++] = (byte) (v >>> 8);
      bytes[size++] = (byte) v;
    }

    private void putLong(long v) {
      putInt((int) (v >>> 32));
      putInt((int) v);
    }
  }

  /** The entries of a stored batch, in the order they were appended. */
  public static List<Entry> decompress(byte[] stored) {
    if (stored.length < 4) {
      throw new IllegalArgumentException("malformed outbox batch: " + stored.length + " bytes");
    }
    int header = ByteBuffer.wrap(stored).getInt();
    boolean binary = header < 0;
    int length = binary ? -(header + 1) : header;
    byte[] raw = new byte[length];
    int got = DECOMPRESSOR.decompress(stored, 4, stored.length - 4, raw, 0, length);
    if (got != length) {
      throw new IllegalArgumentException("malformed outbox batch: " + got + " of " + length + " bytes");
    }
    return binary ? decode(raw) : decodeText(new String(raw, StandardCharsets.UTF_8));
  }

  /** The entries of a batch's uncompressed bytes. */
  static List<Entry> decode(byte[] raw) {
    List<Entry> entries = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(raw);
    try {
      while (in.hasRemaining()) {
        UUID id = new UUID(in.getLong(), in.getLong());
        entries.add(new Entry(id, text(in), text(in), text(in), text(in), text(in), text(in), bytes(in)));
      }
    } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("malformed outbox batch at " + in.position(), e);
    }
    return entries;
  }

  private static byte[] bytes(ByteBuffer in) {
    int length = in.getInt();
    if (length < -1 || length > in.remaining()) {
      throw new IllegalArgumentException("malformed outbox batch at " + in.position());
    }
    if (length == -1) {
      return null;
    }
    byte[] out = new byte[length];
    in.get(out);
    return out;
  }

  private static String text(ByteBuffer in) {
    int length = in.getInt();
    if (length < -1 || length > in.remaining()) {
      throw new IllegalArgumentException("malformed outbox batch at " + in.position());
    }
    if (length == -1) {
      return null;
    }
    String s = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
    in.position(in.position() + length);
    return s;
  }

  /** A batch written by an earlier version: each field as {@code <length>:<chars>} ({@code -1:} for null). */
  static List<Entry> decodeText(String batch) {
    List<Entry> entries = new ArrayList<>();
    int[] at = {0};
    while (at[0] < batch.length()) {
      UUID id = UUID.fromString(readText(batch, at));
      String type = readText(batch, at), topic = readText(batch, at), key = readText(batch, at), subject = readText(batch, at),
          tenant = readText(batch, at), directory = readText(batch, at), payload = readText(batch, at);
      entries.add(new Entry(id, type, topic, key, subject, tenant, directory, payload == null ? null : payload.getBytes(StandardCharsets.UTF_8)));
    }
    return entries;
  }

  private static String readText(String batch, int[] at) {
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
