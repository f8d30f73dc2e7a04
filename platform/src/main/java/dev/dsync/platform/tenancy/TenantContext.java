package dev.dsync.platform.tenancy;

import dev.dsync.events.Actor;
import dev.dsync.platform.errors.ProblemException;
import jakarta.enterprise.context.RequestScoped;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.logging.MDC;

/**
 * The tenant of the current admin request, from the verified JWT's {@code tenant} claim. Every
 * tenant-owned query takes its tenant from here, never from the URL or the body.
 */
@RequestScoped
public class TenantContext {

  public static final String TENANT_CLAIM = "tenant";

  private final JsonWebToken jwt;

  public TenantContext(JsonWebToken jwt) {
    this.jwt = jwt;
  }

  /** The caller's tenant; 403 if the token carries none. */
  public String tenantId() {
    String tenant = jwt == null ? null : jwt.getClaim(TENANT_CLAIM);
    if (tenant == null || tenant.isBlank()) {
      throw ProblemException.forbidden("the token has no tenant claim");
    }
    MDC.put("tenantId", tenant);
    return tenant;
  }

  /** The caller as an audit actor. */
  public Actor actor() {
    return new Actor(Actor.Kind.ADMIN, jwt.getSubject(), jwt.getName());
  }
}
