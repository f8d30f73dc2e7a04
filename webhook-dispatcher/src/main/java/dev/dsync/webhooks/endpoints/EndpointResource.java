package dev.dsync.webhooks.endpoints;

import dev.dsync.platform.tenancy.Roles;
import dev.dsync.platform.tenancy.TenantContext;
import dev.dsync.webhooks.api.Page;
import dev.dsync.webhooks.operations.OperationViews;
import dev.dsync.webhooks.operations.OperationsService;
import dev.dsync.events.EventJson;
import dev.dsync.platform.errors.ProblemException;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import java.util.UUID;
import org.jboss.resteasy.reactive.ResponseStatus;

/** Admin API of a tenant's webhook endpoints and their secrets (tenant from the JWT). */
@Path("/api/v1/webhook-endpoints")
@RolesAllowed({Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN})
public class EndpointResource {

  private final TenantContext tenant;
  private final EndpointService endpoints;
  private final OperationsService operations;

  public EndpointResource(TenantContext tenant, EndpointService endpoints, OperationsService operations) {
    this.tenant = tenant;
    this.endpoints = endpoints;
    this.operations = operations;
  }

  /** Creates an endpoint; the answer carries its secret (also readable later via /secret). */
  @POST
  @ResponseStatus(201)
  public Uni<EndpointView> create(@Valid @NotNull EndpointRequest body) {
    return endpoints.create(tenant.tenantId(), tenant.actor(), body);
  }

  @GET
  public Uni<Page<EndpointView>> list(@QueryParam("cursor") String cursor, @QueryParam("limit") Integer limit) {
    return endpoints.list(tenant.tenantId(), cursor, limit);
  }

  @GET
  @Path("/{id}")
  public Uni<EndpointView> get(@PathParam("id") UUID id) {
    return endpoints.get(tenant.tenantId(), id);
  }

  /** Replaces the endpoint's settings (not its secret); enabling a disabled endpoint resumes it. */
  @PUT
  @Path("/{id}")
  public Uni<EndpointView> update(@PathParam("id") UUID id, @Valid @NotNull EndpointRequest body) {
    return endpoints.update(tenant.tenantId(), tenant.actor(), id, body);
  }

  @DELETE
  @Path("/{id}")
  @ResponseStatus(204)
  public Uni<Void> delete(@PathParam("id") UUID id) {
    return endpoints.delete(tenant.tenantId(), tenant.actor(), id);
  }

  @GET
  @Path("/{id}/secret")
  public Uni<EndpointView.SecretView> secret(@PathParam("id") UUID id) {
    return endpoints.secret(tenant.tenantId(), tenant.actor(), id);
  }

  /** Rotates the secret: a generated one, or {@code {"secret": "whsec_..."}}; the body is optional. */
  @POST
  @Path("/{id}/secret/rotate")
  @Consumes(MediaType.WILDCARD)
  public Uni<EndpointView.SecretView> rotate(@PathParam("id") UUID id, String body) {
    String requested = null;
    if (body != null && !body.isBlank()) {
      try {
        requested = EventJson.mapper().readValue(body, EndpointView.RotateRequest.class).secret();
      } catch (IOException e) {
        throw ProblemException.badRequest("the request body is not valid JSON");
      }
    }
    return endpoints.rotate(tenant.tenantId(), tenant.actor(), id, requested);
  }

  /** The endpoint's deliveries, newest first; filters: status, type, since/until (ISO-8601). */
  @GET
  @Path("/{id}/messages")
  public Uni<Page<OperationViews.DeliveryView>> messages(
      @PathParam("id") UUID id,
      @QueryParam("status") String status,
      @QueryParam("type") String type,
      @QueryParam("since") String since,
      @QueryParam("until") String until,
      @QueryParam("cursor") String cursor,
      @QueryParam("limit") Integer limit) {
    return operations.endpointMessages(tenant.tenantId(), id, status, type, since, until, cursor, limit);
  }

  /** The endpoint's attempts, newest first; filters: outcome, messageId, since/until. */
  @GET
  @Path("/{id}/attempts")
  public Uni<Page<OperationViews.AttemptView>> attempts(
      @PathParam("id") UUID id,
      @QueryParam("outcome") String outcome,
      @QueryParam("messageId") String messageId,
      @QueryParam("since") String since,
      @QueryParam("until") String until,
      @QueryParam("cursor") String cursor,
      @QueryParam("limit") Integer limit) {
    return operations.attempts(tenant.tenantId(), id, outcome, messageId, since, until, cursor, limit);
  }

  @POST
  @Path("/{id}/messages/{messageId}/redeliver")
  @ResponseStatus(202)
  public Uni<OperationViews.Scheduled> redeliver(@PathParam("id") UUID id, @PathParam("messageId") UUID messageId) {
    return operations.redeliver(tenant.tenantId(), tenant.actor(), id, messageId);
  }

  @POST
  @Path("/{id}/redeliver-failed")
  @ResponseStatus(202)
  public Uni<OperationViews.Scheduled> redeliverFailed(@PathParam("id") UUID id, @NotNull OperationViews.RedeliverFailedRequest body) {
    return operations.redeliverFailed(tenant.tenantId(), tenant.actor(), id, body.since());
  }

  /** Backfill: every retained event of a directory from a time or sequence, to this endpoint. */
  @POST
  @Path("/{id}/replay")
  @ResponseStatus(202)
  public Uni<OperationViews.Scheduled> replay(@PathParam("id") UUID id, @NotNull OperationViews.ReplayRequest body) {
    return operations.replay(tenant.tenantId(), tenant.actor(), id, body);
  }

  @POST
  @Path("/{id}/test")
  @ResponseStatus(202)
  public Uni<OperationViews.Scheduled> test(@PathParam("id") UUID id) {
    return operations.sendTest(tenant.tenantId(), tenant.actor(), id);
  }
}
