package dev.dsync.reconciler.jobs;

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

/** Sync job history with counters and durations; a blocked job's pending changes; resume and cancel. */
@Path("/api/v1/sync-jobs")
@RolesAllowed({Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN})
public class SyncJobResource {

  private final SyncJobAdmin admin;
  private final TenantContext tenant;

  public SyncJobResource(SyncJobAdmin admin, TenantContext tenant) {
    this.admin = admin;
    this.tenant = tenant;
  }

  @GET
  public Uni<Page<SyncJobAdmin.JobView>> list(
      @QueryParam("directoryId") String directoryId,
      @QueryParam("status") String status,
      @QueryParam("cursor") String cursor,
      @QueryParam("limit") int limit) {
    return admin.list(tenant.tenantId(), directoryId, status, cursor, limit);
  }

  @GET
  @Path("/{id}")
  public Uni<SyncJobAdmin.JobView> get(@PathParam("id") String id) {
    return admin.get(tenant.tenantId(), id);
  }

  @GET
  @Path("/{id}/changes")
  public Uni<Page<SyncJobAdmin.PendingChange>> pending(
      @PathParam("id") String id, @QueryParam("cursor") String cursor, @QueryParam("limit") int limit) {
    return admin.pending(tenant.tenantId(), id, cursor, limit);
  }

  @POST
  @Path("/{id}/resume")
  public Uni<SyncJobAdmin.JobView> resume(@PathParam("id") String id) {
    return admin.resume(tenant.tenantId(), id, tenant.actor());
  }

  @POST
  @Path("/{id}/cancel")
  public Uni<SyncJobAdmin.JobView> cancel(@PathParam("id") String id) {
    return admin.cancel(tenant.tenantId(), id, tenant.actor());
  }
}
