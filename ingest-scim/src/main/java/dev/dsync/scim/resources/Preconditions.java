package dev.dsync.scim.resources;

import dev.dsync.scim.protocol.ScimProblem;

/** HTTP preconditions on a resource's version (RFC 7644 §3.14). */
public final class Preconditions {

  private Preconditions() {}

  /** Fails with 412 unless {@code ifMatch} is absent, {@code *}, or names the current version. */
  public static void checkIfMatch(String ifMatch, long version) {
    if (ifMatch == null || ifMatch.isBlank() || ifMatch.trim().equals("*")) {
      return;
    }
    String current = Rendered.etag(version);
    for (String tag : ifMatch.split(",")) {
      String t = tag.trim();
      if (t.equals(current) || t.equals(current.substring(2))) {
        return;
      }
    }
    throw ScimProblem.preconditionFailed("the resource changed: its ETag is now " + current);
  }

  /** Whether an If-None-Match header matches the rendered resource (GET answers 304). */
  public static boolean notModified(String ifNoneMatch, Rendered r) {
    return ifNoneMatch != null
        && (ifNoneMatch.trim().equals("*") || ifNoneMatch.contains(r.etag()) || ifNoneMatch.contains(r.etag().substring(2)));
  }
}
