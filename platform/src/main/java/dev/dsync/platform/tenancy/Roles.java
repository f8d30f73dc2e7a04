package dev.dsync.platform.tenancy;

/** Roles carried in the JWT {@code groups} claim. */
public final class Roles {

  /** Administers one tenant: the one in the token's {@code tenant} claim. */
  public static final String TENANT_ADMIN = "tenant-admin";

  /** Operates the platform; still scoped to the tenant claim on tenant APIs. */
  public static final String PLATFORM_ADMIN = "platform-admin";

  private Roles() {}
}
