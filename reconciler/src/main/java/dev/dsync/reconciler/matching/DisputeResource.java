package dev.dsync.reconciler.matching;

import dev.dsync.platform.tenancy.Roles;
import dev.dsync.platform.tenancy.TenantContext;
import dev.dsync.reconciler.api.Page;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import java.util.UUID;

/** Disputed correlations (a source user matching several identities) and their resolution. */
@Path("/api/v1/disputes")
@RolesAllowed({Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN})
public class DisputeResource {

  private final DisputeAdmin admin;
  private final TenantContext tenant;

  public DisputeResource(DisputeAdmin admin, TenantContext tenant) {
    this.admin = admin;
    this.tenant = tenant;
  }

  @GET
  public Uni<Page<DisputeAdmin.DisputeView>> list(
      @QueryParam("status") String status, @QueryParam("cursor") String cursor, @QueryParam("limit") int limit) {
    return admin.list(tenant.tenantId(), status, cursor, limit);
  }

  @GET
  @Path("/{id}")
  public Uni<DisputeAdmin.DisputeView> get(@PathParam("id") UUID id) {
    return admin.get(tenant.tenantId(), id);
  }

  @POST
  @Path("/{id}/resolve")
  public Uni<DisputeAdmin.DisputeView> resolve(@PathParam("id") UUID id, DisputeAdmin.Resolve body) {
    return admin.resolve(tenant.tenantId(), id, body, tenant.actor());
  }
}
