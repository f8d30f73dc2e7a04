package dev.dsync.events;

/** Who caused a change: a SCIM bearer token, an admin (JWT subject), or dsync itself. */
public record Actor(Kind kind, String id, String display) {

  /** The kind of actor. */
  public enum Kind {
    /** A SCIM client authenticated by a directory bearer token; id is the token id. */
    SCIM_TOKEN,
    /** An administrator authenticated by JWT; id is the subject. */
    ADMIN,
    /** A dsync service acting on its own, e.g. a scheduled poll; id names the service. */
    SYSTEM
  }

  public static Actor system(String service) {
    return new Actor(Kind.SYSTEM, service, null);
  }
}
