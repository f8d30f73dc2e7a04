package dev.dsync.scim.users;

import dev.dsync.scim.ScimConfig;
import dev.dsync.scim.auth.CurrentCaller;
import dev.dsync.scim.protocol.ScimMedia;
import dev.dsync.scim.protocol.ScimProblem;
import dev.dsync.scim.resources.ListQuery;
import dev.dsync.scim.resources.Preconditions;
import dev.dsync.scim.resources.Projection;
import dev.dsync.scim.resources.Rendered;
import dev.dsync.scim.resources.ScimBodies;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.UUID;

/** SCIM /Users (RFC 7644 §3) of the directory the caller's token opens. */
@Path("/scim/v2/{directoryId}/Users")
@Produces({ScimMedia.SCIM_JSON, MediaType.APPLICATION_JSON})
@Consumes(MediaType.WILDCARD)
public class UserResource {

  private final UserService users;
  private final CurrentCaller caller;
  private final ScimConfig config;

  public UserResource(UserService users, CurrentCaller caller, ScimConfig config) {
    this.users = users;
    this.caller = caller;
    this.config = config;
  }

  @GET
  public Uni<Response> list(
      @QueryParam("filter") String filter,
      @QueryParam("startIndex") String startIndex,
      @QueryParam("count") String count,
      @QueryParam("sortBy") String sortBy,
      @QueryParam("sortOrder") String sortOrder,
      @QueryParam("attributes") String attributes,
      @QueryParam("excludedAttributes") String excluded) {
    ListQuery q = ListQuery.of(filter, startIndex, count, sortBy, sortOrder, attributes, excluded, config.maxResults());
    return users.list(caller.get(), q).map(body -> ok(200, body).build());
  }

  @POST
  public Uni<Response> create(String body, @QueryParam("attributes") String attributes, @QueryParam("excludedAttributes") String excluded) {
    return users.create(caller.get(), ScimBodies.parse(body))
        .map(r -> ok(201, Projection.of(attributes, excluded).apply(r.json()))
            .location(URI.create(r.json().path("meta").path("location").asText()))
            .tag(new jakarta.ws.rs.core.EntityTag(String.valueOf(r.version()), true))
            .build());
  }

  @GET
  @Path("/{id}")
  public Uni<Response> get(
      @PathParam("id") String id,
      @HeaderParam("If-None-Match") String ifNoneMatch,
      @QueryParam("attributes") String attributes,
      @QueryParam("excludedAttributes") String excluded) {
    Projection projection = Projection.of(attributes, excluded);
    return users.get(caller.get(), uuid(id), projection)
        .map(r -> {
          if (Preconditions.notModified(ifNoneMatch, r)) {
            return Response.notModified().tag(entityTag(r)).build();
          }
          return single(200, r, projection);
        });
  }

  @PUT
  @Path("/{id}")
  public Uni<Response> replace(@PathParam("id") String id, @HeaderParam("If-Match") String ifMatch, String body,
      @QueryParam("attributes") String attributes, @QueryParam("excludedAttributes") String excluded) {
    UUID uuid = uuid(id);
    return users.replace(caller.get(), uuid, ScimBodies.parse(body), ifMatch).map(r -> single(200, r, Projection.of(attributes, excluded)));
  }

  @PATCH
  @Path("/{id}")
  public Uni<Response> patch(@PathParam("id") String id, @HeaderParam("If-Match") String ifMatch, String body,
      @QueryParam("attributes") String attributes, @QueryParam("excludedAttributes") String excluded) {
    UUID uuid = uuid(id);
    return users.patch(caller.get(), uuid, ScimBodies.parse(body), ifMatch).map(r -> single(200, r, Projection.of(attributes, excluded)));
  }

  @DELETE
  @Path("/{id}")
  public Uni<Response> delete(@PathParam("id") String id) {
    return users.delete(caller.get(), uuid(id)).map(v -> Response.noContent().build());
  }

  static Response single(int status, Rendered r, Projection projection) {
    return ok(status, projection.apply(r.json())).tag(entityTag(r)).build();
  }

  static jakarta.ws.rs.core.EntityTag entityTag(Rendered r) {
    return new jakarta.ws.rs.core.EntityTag(String.valueOf(r.version()), true);
  }

  static Response.ResponseBuilder ok(int status, Object body) {
    return Response.status(status).type(ScimMedia.SCIM_JSON).entity(body);
  }

  /** A malformed id cannot name a resource: 404, as for an unknown one. */
  static UUID uuid(String id) {
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      throw ScimProblem.notFound("resource " + id + " not found");
    }
  }
}
