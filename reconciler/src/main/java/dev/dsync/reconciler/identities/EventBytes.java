package dev.dsync.reconciler.identities;

import dev.dsync.events.EventJson;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * An event's data written field by field as the event mapper would write its record, with a
 * canonical user or group spliced in as the JSON already written for it: an event and its state
 * record carry the same user, which was serialized twice (~2 % of a sync's CPU).
 * {@code EventBytesTest} holds each form to the mapper's output, byte for byte.
 */
final class EventBytes {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
  private boolean first = true;

  EventBytes() {
    out.write('{');
  }

  private void name(String name) {
    if (!first) {
      out.write(',');
    }
    first = false;
    out.write('"');
    out.writeBytes(name.getBytes(StandardCharsets.UTF_8)); // field names are plain ASCII identifiers
    out.write('"');
    out.write(':');
  }

  /** A field whose value is JSON already written; left out when null, as the mapper leaves out nulls. */
  EventBytes raw(String name, byte[] json) {
    if (json != null) {
      name(name);
      out.writeBytes(json);
    }
    return this;
  }

  EventBytes number(String name, long value) {
    name(name);
    out.writeBytes(Long.toString(value).getBytes(StandardCharsets.US_ASCII));
    return this;
  }

  /** Any other value, written by the mapper; left out when null. */
  EventBytes value(String name, Object value) {
    return value == null ? this : raw(name, EventJson.writeBytes(value));
  }

  byte[] bytes() {
    out.write('}');
    return out.toByteArray();
  }
}
