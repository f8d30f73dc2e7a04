package dev.dsync.platform.tenancy;

import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/** Clears the tenant and directory that {@link TenantContext} put into the log context. */
public class TenantLogContext {

  @ServerResponseFilter
  public void clear() {
    MDC.remove("tenantId");
    MDC.remove("directoryId");
  }
}
