package dev.dsync.audit.query;

import dev.dsync.platform.errors.ProblemException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * A keyset position in the newest-first order (occurredAt, position): the next page starts
 * strictly after it, so pages stay stable while new records arrive. Opaque to clients.
 */
public record Cursor(Instant occurredAt, long position) {

  public String encode() {
    long micros = occurredAt.getEpochSecond() * 1_000_000L + occurredAt.getNano() / 1_000;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("v1:" + micros + ":" + position).getBytes(StandardCharsets.UTF_8));
  }

  /** Decodes a cursor; a tampered or foreign one is a 400. */
  public static Cursor decode(String token) {
    try {
      String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split(":");
      if (parts.length != 3 || !parts[0].equals("v1")) {
        throw new IllegalArgumentException();
      }
      long micros = Long.parseLong(parts[1]);
      return new Cursor(
          Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L),
          Long.parseLong(parts[2]));
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest("cursor is not valid; use nextCursor from a previous page");
    }
  }
}
