package dev.dsync.platform.outbox;

import java.nio.charset.StandardCharsets;

/**
 * Event data already written as JSON ({@link OutboxMessage#written()}), kept as its UTF-8 bytes:
 * the outbox stores and the relay publishes these bytes as they are, with no text in between.
 */
public record JsonText(byte[] utf8) {

  public String json() {
    return new String(utf8, StandardCharsets.UTF_8);
  }
}
