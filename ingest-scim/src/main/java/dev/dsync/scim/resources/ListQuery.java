package dev.dsync.scim.resources;

import dev.dsync.scim.protocol.ScimProblem;

/** The paging and sorting of a list request: 1-based startIndex, count capped at maxResults. */
public record ListQuery(String filter, int startIndex, int count, String sortBy, boolean descending, Projection projection) {

  public static ListQuery of(
      String filter, String startIndex, String count, String sortBy, String sortOrder, String attributes, String excluded, int maxResults) {
    int start = parse(startIndex, 1, "startIndex");
    int n = parse(count, maxResults, "count");
    // RFC 7644 §3.4.2.4: startIndex below 1 is 1; a negative count is 0.
    start = Math.max(1, start);
    n = Math.max(0, Math.min(n, maxResults));
    boolean desc = false;
    if (sortOrder != null && !sortOrder.isBlank()) {
      if (sortOrder.equalsIgnoreCase("descending")) {
        desc = true;
      } else if (!sortOrder.equalsIgnoreCase("ascending")) {
        throw ScimProblem.invalidValue("sortOrder must be ascending or descending");
      }
    }
    return new ListQuery(
        filter == null || filter.isBlank() ? null : filter,
        start,
        n,
        sortBy == null || sortBy.isBlank() ? null : sortBy,
        desc,
        Projection.of(attributes, excluded));
  }

  private static int parse(String v, int fallback, String name) {
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw ScimProblem.invalidValue(name + " must be an integer");
    }
  }
}
