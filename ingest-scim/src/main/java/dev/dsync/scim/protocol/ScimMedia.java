package dev.dsync.scim.protocol;

/** Media types of the SCIM protocol. */
public final class ScimMedia {

  public static final String SCIM_JSON = "application/scim+json";

  private ScimMedia() {}
}
