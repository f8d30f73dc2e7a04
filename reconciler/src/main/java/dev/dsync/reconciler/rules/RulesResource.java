package dev.dsync.reconciler.rules;

import dev.dsync.platform.tenancy.Roles;
import dev.dsync.platform.tenancy.TenantContext;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;

/** A directory's reconciliation rules: current version and history; a PUT adds a version. */
@Path("/api/v1/directories/{directoryId}/rules")
@RolesAllowed({Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN})
public class RulesResource {

  private final RulesService service;
  private final TenantContext tenant;

  public RulesResource(RulesService service, TenantContext tenant) {
    this.service = service;
    this.tenant = tenant;
  }

  @GET
  public Uni<RulesService.RulesView> get(@PathParam("directoryId") String directoryId) {
    return service.get(tenant.tenantId(), directoryId);
  }

  @PUT
  public Uni<RulesService.VersionView> put(@PathParam("directoryId") String directoryId, Rules rules) {
    return service.put(tenant.tenantId(), directoryId, rules, tenant.actor());
  }
}
