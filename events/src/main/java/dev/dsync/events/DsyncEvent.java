package dev.dsync.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * A dsync CloudEvent read from a Kafka record in binary mode: the attributes from {@code ce_*}
 * headers, the data as raw JSON. For consumers that use plain Kafka clients.
 */
public record DsyncEvent(
    String id,
    String source,
    String type,
    Instant time,
    String subject,
    String tenantId,
    String directoryId,
    byte[] data) {

  /** Reads the envelope of a record; fails if a required attribute is missing. */
  public static DsyncEvent from(ConsumerRecord<?, byte[]> record) {
    Headers h = record.headers();
    String id = required(h, CloudEventAttributes.ID);
    String time = header(h, CloudEventAttributes.TIME);
    return new DsyncEvent(
        id,
        required(h, CloudEventAttributes.SOURCE),
        required(h, CloudEventAttributes.TYPE),
        time == null ? null : time(time),
        header(h, CloudEventAttributes.SUBJECT),
        header(h, CloudEventAttributes.TENANT_ID),
        header(h, CloudEventAttributes.DIRECTORY_ID),
        record.value());
  }

  /** The data as its contract record. */
  public <T> T data(Class<T> type) {
    return EventJson.read(data, type);
  }

  public EventType eventType() {
    return EventType.of(type);
  }

  /**
   * A {@code ce_time} (RFC 3339). The form every dsync producer writes, UTC with {@code Z} and up
   * to nine fraction digits, is read directly: through {@link DateTimeFormatter} it cost a consumer
   * of a sync's source changes ~2 % of its CPU. Any other form goes through the formatter.
   */
  static Instant time(String t) {
    Instant fast = utc(t);
    return fast != null ? fast : DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(t, Instant::from);
  }

  /**
   * The instant of an RFC 3339 time in the UTC form dsync writes ({@code 2026-12-01T18:00:00.123456Z}),
   * or null for any other form (or an impossible date), which the caller's own parser reads or refuses.
   */
  static Instant utc(String t) {
    int n = t.length();
    if (n >= 20 && n <= 30 && t.charAt(n - 1) == 'Z' && t.charAt(4) == '-' && t.charAt(7) == '-' && t.charAt(10) == 'T'
        && t.charAt(13) == ':' && t.charAt(16) == ':' && (n == 20 || (t.charAt(19) == '.' && n > 21))) {
      int nanos = 0;
      for (int i = 20; i < n - 1; i++) {
        char c = t.charAt(i);
        if (c < '0' || c > '9') {
          return null;
        }
        nanos = nanos * 10 + (c - '0');
      }
      for (int i = n - 1 - 20; i < 9 && n > 20; i++) {
        nanos *= 10;
      }
      int year = digits(t, 0, 4), month = digits(t, 5, 2), day = digits(t, 8, 2);
      int hour = digits(t, 11, 2), minute = digits(t, 14, 2), second = digits(t, 17, 2);
      if (year >= 0 && month >= 1 && month <= 12 && day >= 1 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59
          && second >= 0 && second <= 59) {
        try {
          return java.time.LocalDate.of(year, month, day).atTime(hour, minute, second, nanos).toInstant(java.time.ZoneOffset.UTC);
        } catch (java.time.DateTimeException e) {
          return null; // an impossible date (Feb 30): the caller's parser says why
        }
      }
    }
    return null;
  }

  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static String required(Headers headers, String name) {
    String v = header(headers, name);
    if (v == null) {
      throw new IllegalArgumentException("record lacks CloudEvents header " + name);
    }
    return v;
  }

  private static String header(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
