package dev.dsync.webhooks.operations;

import dev.dsync.platform.tenancy.Roles;
import dev.dsync.platform.tenancy.TenantContext;
import dev.dsync.webhooks.api.Page;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import java.util.UUID;

/** The tenant's webhook messages (one per identity event), newest first. */
@Path("/api/v1/messages")
@RolesAllowed({Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN})
public class MessageResource {

  private final TenantContext tenant;
  private final OperationsService operations;

  public MessageResource(TenantContext tenant, OperationsService operations) {
    this.tenant = tenant;
    this.operations = operations;
  }

  @GET
  public Uni<Page<OperationViews.MessageView>> list(
      @QueryParam("type") String type,
      @QueryParam("directoryId") String directoryId,
      @QueryParam("since") String since,
      @QueryParam("until") String until,
      @QueryParam("cursor") String cursor,
      @QueryParam("limit") Integer limit) {
    return operations.listMessages(tenant.tenantId(), type, directoryId, since, until, cursor, limit);
  }

  /** One message with the exact body sent and its delivery to each endpoint. */
  @GET
  @Path("/{id}")
  public Uni<OperationViews.MessageDetail> get(@PathParam("id") UUID id) {
    return operations.message(tenant.tenantId(), id);
  }
}
