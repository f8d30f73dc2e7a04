package dev.dsync.events.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * A user as dsync publishes it: the canonical attributes after mapping, plus the source's raw
 * resource for consumers that need what mapping left out.
 */
public record CanonicalUser(
    String id,
    String tenantId,
    String directoryId,
    String externalId,
    String userName,
    String givenName,
    String familyName,
    String displayName,
    List<Email> emails,
    State state,
    Map<String, Object> attributes,
    ObjectNode rawAttributes) {

  /** Whether the user may use the SaaS application. */
  public enum State {
    /** Active at the source. */
    ACTIVE,
    /** Deactivated or suspended at the source, or out of scope under a deactivate policy. */
    INACTIVE
  }
}
