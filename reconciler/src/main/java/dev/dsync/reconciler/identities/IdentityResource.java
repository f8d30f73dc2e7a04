package dev.dsync.reconciler.identities;

import dev.dsync.events.identity.CanonicalGroup;
import dev.dsync.events.identity.CanonicalUser;
import dev.dsync.platform.tenancy.Roles;
import dev.dsync.platform.tenancy.TenantContext;
import dev.dsync.reconciler.api.Page;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import java.util.UUID;

/** Canonical users and groups of the caller's tenant, with filters and cursor pagination. */
@Path("/api/v1")
@RolesAllowed({Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN})
public class IdentityResource {

  private final IdentityQueries queries;
  private final TenantContext tenant;

  public IdentityResource(IdentityQueries queries, TenantContext tenant) {
    this.queries = queries;
    this.tenant = tenant;
  }

  @GET
  @Path("/identities")
  public Uni<Page<CanonicalUser>> users(
      @QueryParam("directoryId") String directoryId,
      @QueryParam("userName") String userName,
      @QueryParam("email") String email,
      @QueryParam("state") String state,
      @QueryParam("cursor") String cursor,
      @QueryParam("limit") int limit) {
    return queries.users(tenant.tenantId(), directoryId, userName, email, state, cursor, limit);
  }

  @GET
  @Path("/identities/{id}")
  public Uni<IdentityQueries.UserDetail> user(@PathParam("id") UUID id) {
    return queries.user(tenant.tenantId(), id);
  }

  @GET
  @Path("/groups")
  public Uni<Page<CanonicalGroup>> groups(
      @QueryParam("directoryId") String directoryId,
      @QueryParam("displayName") String displayName,
      @QueryParam("cursor") String cursor,
      @QueryParam("limit") int limit) {
    return queries.groups(tenant.tenantId(), directoryId, displayName, cursor, limit);
  }

  @GET
  @Path("/groups/{id}")
  public Uni<IdentityQueries.GroupDetail> group(@PathParam("id") UUID id) {
    return queries.group(tenant.tenantId(), id);
  }
}
