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
        time == null ? null : DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(time, Instant::from),
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
