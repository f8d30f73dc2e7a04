package dev.dsync.scim.directories;

import dev.dsync.platform.tenancy.Roles;
import dev.dsync.platform.tenancy.TenantContext;
import dev.dsync.scim.directories.DirectoryViews.CreatedDirectory;
import dev.dsync.scim.directories.DirectoryViews.CreatedToken;
import dev.dsync.scim.directories.DirectoryViews.DirectoryChange;
import dev.dsync.scim.directories.DirectoryViews.DirectoryView;
import dev.dsync.scim.directories.DirectoryViews.NewDirectory;
import dev.dsync.scim.directories.DirectoryViews.NewToken;
import dev.dsync.scim.directories.DirectoryViews.TokenView;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.util.List;
import java.util.UUID;
import org.jboss.resteasy.reactive.ResponseStatus;

/** Admin API of SCIM directories and their bearer tokens, scoped to the caller's tenant. */
@Path("/api/v1/scim-directories")
@RolesAllowed({Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN})
public class ScimDirectoryResource {

  private final DirectoryService directories;
  private final TenantContext tenant;

  public ScimDirectoryResource(DirectoryService directories, TenantContext tenant) {
    this.directories = directories;
    this.tenant = tenant;
  }

  @POST
  @ResponseStatus(201)
  public Uni<CreatedDirectory> create(@Valid @NotNull NewDirectory body) {
    return directories.create(tenant.tenantId(), tenant.actor(), body.name());
  }

  @GET
  public Uni<List<DirectoryView>> list() {
    return directories.list(tenant.tenantId());
  }

  @GET
  @Path("/{id}")
  public Uni<DirectoryView> get(@PathParam("id") UUID id) {
    return directories.get(tenant.tenantId(), id);
  }

  @PATCH
  @Path("/{id}")
  public Uni<DirectoryView> change(@PathParam("id") UUID id, @Valid @NotNull DirectoryChange body) {
    return directories.change(tenant.tenantId(), tenant.actor(), id, body);
  }

  @DELETE
  @Path("/{id}")
  @ResponseStatus(204)
  public Uni<Void> delete(@PathParam("id") UUID id) {
    return directories.delete(tenant.tenantId(), tenant.actor(), id);
  }

  @POST
  @Path("/{id}/tokens")
  @ResponseStatus(201)
  public Uni<CreatedToken> createToken(@PathParam("id") UUID id, @Valid NewToken body) {
    return directories.createToken(tenant.tenantId(), tenant.actor(), id, body == null ? null : body.expiresInDays());
  }

  @GET
  @Path("/{id}/tokens")
  public Uni<List<TokenView>> tokens(@PathParam("id") UUID id) {
    return directories.listTokens(tenant.tenantId(), id);
  }

  @DELETE
  @Path("/{id}/tokens/{tokenId}")
  @ResponseStatus(204)
  public Uni<Void> revoke(@PathParam("id") UUID id, @PathParam("tokenId") UUID tokenId) {
    return directories.revokeToken(tenant.tenantId(), tenant.actor(), id, tokenId);
  }
}
