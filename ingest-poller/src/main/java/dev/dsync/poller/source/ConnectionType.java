package dev.dsync.poller.source;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The kinds of directory a connection can poll. */
public enum ConnectionType {
  /** Microsoft Entra ID through Microsoft Graph delta queries. */
  MICROSOFT_GRAPH("microsoft-graph"),
  /** Google Workspace Directory API. */
  GOOGLE_WORKSPACE("google-workspace"),
  /** Okta management API. */
  OKTA("okta"),
  /** LDAP v3 servers and Active Directory. */
  LDAP("ldap"),
  /** Another SCIM 2.0 service provider, read as a client. */
  SCIM_PULL("scim-pull");

  private final String wire;

  ConnectionType(String wire) {
    this.wire = wire;
  }

  @JsonValue
  public String wire() {
    return wire;
  }

  /** The type named {@code wire} as the API spells it; null if none. */
  @JsonCreator
  public static ConnectionType of(String wire) {
    for (ConnectionType t : values()) {
      if (t.wire.equals(wire)) {
        return t;
      }
    }
    return null;
  }
}
