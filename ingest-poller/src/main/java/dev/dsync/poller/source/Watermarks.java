package dev.dsync.poller.source;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Change-time watermarks for sources that filter on "updated after" (Okta lastUpdated, SCIM
 * meta.lastModified). A listing takes a while and is paged, so a change made while it runs may sit on
 * a page already passed: the next run starts from the latest change seen, but never from later than
 * the moment the listing began (the source's Date header, less a margin for its clock).
 */
public final class Watermarks {

  /** Margin between the source's Date header and the earliest change a listing may have missed. */
  public static final long SKEW_SECONDS = 60;

  private Watermarks() {}

  /** The later of two source timestamps, each kept as the source wrote it; null-safe, unparseable values ignored. */
  public static String later(String a, String b) {
    Instant tb = parse(b);
    if (tb == null) {
      return a;
    }
    Instant ta = parse(a);
    return ta == null || tb.isAfter(ta) ? b : a;
  }

  /** True when {@code t} is strictly after {@code since} (both source timestamps); false if either is missing. */
  public static boolean after(String t, String since) {
    Instant a = parse(t);
    Instant b = parse(since);
    return a != null && b != null && a.isAfter(b);
  }

  /** The start bound of a listing: the response's Date header (or this clock), less the skew, in Okta's UTC millisecond form. */
  public static String cap(SourceHttp.Response first) {
    Instant at = Instant.now();
    String date = first.header("Date");
    if (date != null) {
      try {
        at = ZonedDateTime.parse(date.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      } catch (DateTimeParseException e) {
        // keep this clock
      }
    }
    return DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC).format(at.minusSeconds(SKEW_SECONDS));
  }

  /** The next run's watermark: the latest change seen bounded by the listing's start; with nothing seen, the previous one (or the start). */
  public static String next(String maxSeen, String cap, String previous) {
    if (maxSeen == null) {
      return previous != null ? previous : cap;
    }
    return after(maxSeen, cap) ? cap : maxSeen;
  }

  /** An xsd:dateTime (with Z, an offset, or none, read as UTC); null if absent or unreadable. */
  public static Instant parse(String s) {
    if (s == null || s.isBlank()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(s.trim()).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(s.trim()).toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException again) {
        return null;
      }
    }
  }
}
