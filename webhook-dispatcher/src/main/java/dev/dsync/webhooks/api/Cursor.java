package dev.dsync.webhooks.api;

import dev.dsync.platform.errors.ProblemException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;

/**
 * An opaque keyset cursor: the (time, id) of the last row of a page. Keyset rather than offset, so
 * rows arriving while a client pages neither repeat nor vanish.
 */
public record Cursor(Instant time, UUID id) {

  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 500;

  public String encode() {
    long micros = ChronoUnit.MICROS.between(Instant.EPOCH, time);
    return Base64.getUrlEncoder().withoutPadding().encodeToString((micros + ":" + id).getBytes(StandardCharsets.UTF_8));
  }

  /** Null for a null cursor (first page); 400 for one this API did not hand out. */
  public static Cursor decode(String cursor) {
    if (cursor == null || cursor.isBlank()) {
      return null;
    }
    try {
      String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(":", 2);
      return new Cursor(Instant.EPOCH.plus(Long.parseLong(parts[0]), ChronoUnit.MICROS), UUID.fromString(parts[1]));
    } catch (RuntimeException e) {
      throw ProblemException.badRequest("cursor is not one this API returned");
    }
  }

  /** The page size asked for, defaulted and bounded. */
  public static int limit(Integer requested) {
    if (requested == null) {
      return DEFAULT_LIMIT;
    }
    if (requested < 1 || requested > MAX_LIMIT) {
      throw ProblemException.badRequest("limit must be between 1 and " + MAX_LIMIT);
    }
    return requested;
  }
}
