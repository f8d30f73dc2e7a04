package dev.dsync.scim.groups;

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
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.UUID;

/** SCIM /Groups (RFC 7644 §3) of the directory the caller's token opens. */
@Path("/scim/v2/{directoryId}/Groups")
@Produces({ScimMedia.SCIM_JSON, MediaType.APPLICATION_JSON})
@Consumes(MediaType.WILDCARD)
public class GroupResource {

  private final GroupService groups;
  private final CurrentCaller caller;
  private final ScimConfig config;

  public GroupResource(GroupService groups, CurrentCaller caller, ScimConfig config) {
    this.groups = groups;
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
    return groups.list(caller.get(), q).map(body -> Response.ok(body).type(ScimMedia.SCIM_JSON).build());
  }

  @POST
  public Uni<Response> create(String body, @QueryParam("attributes") String attributes, @QueryParam("excludedAttributes") String excluded) {
    return groups.create(caller.get(), ScimBodies.parse(body))
        .map(r -> Response.status(201).type(ScimMedia.SCIM_JSON).entity(Projection.of(attributes, excluded).apply(r.json()))
            .location(URI.create(r.json().path("meta").path("location").asText()))
            .tag(tag(r))
            .build());
  }

  @GET
  @Path("/{id}")
  public Uni<Response> get(@PathParam("id") String id, @HeaderParam("If-None-Match") String ifNoneMatch,
      @QueryParam("attributes") String attributes, @QueryParam("excludedAttributes") String excluded) {
    Projection projection = Projection.of(attributes, excluded);
    return groups.get(caller.get(), uuid(id), projection).map(r -> {
      if (Preconditions.notModified(ifNoneMatch, r)) {
        return Response.notModified().tag(tag(r)).build();
      }
      return single(r, projection);
    });
  }

  @PUT
  @Path("/{id}")
  public Uni<Response> replace(@PathParam("id") String id, @HeaderParam("If-Match") String ifMatch, String body,
      @QueryParam("attributes") String attributes, @QueryParam("excludedAttributes") String excluded) {
    UUID uuid = uuid(id);
    return groups.replace(caller.get(), uuid, ScimBodies.parse(body), ifMatch).map(r -> single(r, Projection.of(attributes, excluded)));
  }

  /** 204 unless the client asks for attributes back (Okta and Entra send many member PATCHes). */
  @PATCH
  @Path("/{id}")
  public Uni<Response> patch(@PathParam("id") String id, @HeaderParam("If-Match") String ifMatch, String body,
      @QueryParam("attributes") String attributes, @QueryParam("excludedAttributes") String excluded) {
    UUID uuid = uuid(id);
    boolean representation = attributes != null || excluded != null;
    return groups.patch(caller.get(), uuid, ScimBodies.parse(body), ifMatch, representation).map(r -> {
      if (!representation) {
        return Response.noContent().tag(tag(r)).build();
      }
      return single(r, Projection.of(attributes, excluded));
    });
  }

  @DELETE
  @Path("/{id}")
  public Uni<Response> delete(@PathParam("id") String id) {
    return groups.delete(caller.get(), uuid(id)).map(v -> Response.noContent().build());
  }

  private static Response single(Rendered r, Projection projection) {
    return Response.ok(projection.apply(r.json())).type(ScimMedia.SCIM_JSON).tag(tag(r)).build();
  }

  private static EntityTag tag(Rendered r) {
    return new EntityTag(String.valueOf(r.version()), true);
  }

  private static UUID uuid(String id) {
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      throw ScimProblem.notFound("resource " + id + " not found");
    }
  }
}
