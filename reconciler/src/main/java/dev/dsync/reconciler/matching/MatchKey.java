package dev.dsync.reconciler.matching;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A correlation key: which canonical attribute identifies the same person across directories. */
public enum MatchKey {
  /** The source's external id (compared exactly). */
  EXTERNAL_ID,
  /** The primary email address (case-insensitive). */
  PRIMARY_EMAIL,
  /** The user name (case-insensitive). */
  USER_NAME,
  /** The enterprise employee number (compared exactly). */
  EMPLOYEE_NUMBER;

  public static final List<MatchKey> DEFAULT_ORDER = List.of(EXTERNAL_ID, PRIMARY_EMAIL, USER_NAME);

  /** The value of this key in a mapped user, normalised as stored; null when the user has none. */
  public String valueIn(Map<String, Object> mapped) {
    return switch (this) {
      case EXTERNAL_ID -> text(mapped.get("externalId"));
      case PRIMARY_EMAIL -> lower(primaryEmail(mapped));
      case USER_NAME -> lower(text(mapped.get("userName")));
      case EMPLOYEE_NUMBER -> text(mapped.get("attributes.employeeNumber"));
    };
  }

  /** The primary email of a mapped user, or its first one. */
  @SuppressWarnings("unchecked") // the mapper builds emails as a list of maps
  public static String primaryEmail(Map<String, Object> mapped) {
    Object emails = mapped.get("emails");
    if (!(emails instanceof List<?> list) || list.isEmpty()) {
      return null;
    }
    for (Object e : list) {
      Map<String, Object> m = (Map<String, Object>) e;
      if (Boolean.TRUE.equals(m.get("primary"))) {
        return text(m.get("value"));
      }
    }
    return text(((Map<String, Object>) list.get(0)).get("value"));
  }

  private static String text(Object v) {
    return v == null || v.toString().isBlank() ? null : v.toString();
  }

  private static String lower(String v) {
    return v == null ? null : v.toLowerCase(Locale.ROOT);
  }
}
