package dev.dsync.scim.schema;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.scim.ScimConfig;
import dev.dsync.scim.auth.CurrentCaller;
import dev.dsync.scim.protocol.ScimMedia;
import dev.dsync.scim.protocol.ScimProblem;
import dev.dsync.scim.resources.Pages;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;

/**
 * What this service provider supports (RFC 7644 §4, RFC 7643 §5-7): exactly the features
 * implemented: PATCH, filter, sort and ETag yes; bulk and changePassword no.
 */
@Path("/scim/v2/{directoryId}")
@Produces({ScimMedia.SCIM_JSON, MediaType.APPLICATION_JSON})
public class DiscoveryResource {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final ScimConfig config;
  private final CurrentCaller caller;

  public DiscoveryResource(ScimConfig config, CurrentCaller caller) {
    this.config = config;
    this.caller = caller;
  }

  @GET
  @Path("/ServiceProviderConfig")
  public ObjectNode serviceProviderConfig() {
    ObjectNode o = JSON.objectNode();
    o.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig");
    o.put("documentationUri", "https://github.com/dsync-dev/dsync/tree/main/ingest-scim");
    o.putObject("patch").put("supported", true);
    o.putObject("bulk").put("supported", false).put("maxOperations", 0).put("maxPayloadSize", 0);
    o.putObject("filter").put("supported", true).put("maxResults", config.maxResults());
    o.putObject("changePassword").put("supported", false);
    o.putObject("sort").put("supported", true);
    o.putObject("etag").put("supported", true);
    ArrayNode schemes = o.putArray("authenticationSchemes");
    schemes.addObject()
        .put("type", "oauthbearertoken")
        .put("name", "OAuth Bearer Token")
        .put("description", "A per-directory bearer token issued by the dsync admin API")
        .put("primary", true);
    o.putObject("meta").put("resourceType", "ServiceProviderConfig").put("location", base() + "/ServiceProviderConfig");
    return o;
  }

  @GET
  @Path("/ResourceTypes")
  public ObjectNode resourceTypes() {
    List<ObjectNode> types = List.of(resourceType(ScimSchemas.USERS), resourceType(ScimSchemas.GROUPS));
    return Pages.listResponse(types.size(), 1, types);
  }

  @GET
  @Path("/ResourceTypes/{name}")
  public ObjectNode resourceType(@PathParam("name") String name) {
    for (ResourceSchema s : List.of(ScimSchemas.USERS, ScimSchemas.GROUPS)) {
      if (s.resourceType().equalsIgnoreCase(name)) {
        return resourceType(s);
      }
    }
    throw ScimProblem.notFound("resource type " + name + " not found");
  }

  @GET
  @Path("/Schemas")
  public ObjectNode schemas() {
    List<ObjectNode> all = allSchemas();
    return Pages.listResponse(all.size(), 1, all);
  }

  @GET
  @Path("/Schemas/{urn}")
  public ObjectNode schema(@PathParam("urn") String urn) {
    return allSchemas().stream()
        .filter(s -> s.get("id").asText().equalsIgnoreCase(urn))
        .findFirst()
        .orElseThrow(() -> ScimProblem.notFound("schema " + urn + " not found"));
  }

  private List<ObjectNode> allSchemas() {
    List<ObjectNode> out = new ArrayList<>();
    out.add(schema(ScimSchemas.USER, "User", "User Account", ScimSchemas.USERS.core()));
    for (ResourceSchema.Extension e : ScimSchemas.USERS.extensions().values()) {
      out.add(schema(e.urn(), e.name(), "Enterprise User", e.attributes()));
    }
    out.add(schema(ScimSchemas.GROUP, "Group", "Group", ScimSchemas.GROUPS.core()));
    return out;
  }

  private ObjectNode schema(String urn, String name, String description, List<AttributeDef> attributes) {
    ObjectNode o = JSON.objectNode();
    o.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:Schema");
    o.put("id", urn);
    o.put("name", name);
    o.put("description", description);
    ArrayNode attrs = o.putArray("attributes");
    attributes.forEach(a -> attrs.add(attribute(a)));
    o.putObject("meta").put("resourceType", "Schema").put("location", base() + "/Schemas/" + urn);
    return o;
  }

  private ObjectNode attribute(AttributeDef a) {
    ObjectNode o = JSON.objectNode();
    o.put("name", a.name());
    o.put("type", a.type() == AttributeDef.Type.DATETIME ? "dateTime" : a.type().name().toLowerCase());
    o.put("multiValued", a.multiValued());
    o.put("description", a.name());
    o.put("required", a.required());
    if (a.type() == AttributeDef.Type.STRING || a.type() == AttributeDef.Type.REFERENCE) {
      o.put("caseExact", a.caseExact());
    }
    o.put("mutability", a.mutabilityName());
    o.put("returned", "default");
    o.put("uniqueness", a.uniqueness());
    if (!a.subAttributes().isEmpty()) {
      ArrayNode subs = o.putArray("subAttributes");
      a.subAttributes().forEach(s -> subs.add(attribute(s)));
    }
    return o;
  }

  private ObjectNode resourceType(ResourceSchema s) {
    ObjectNode o = JSON.objectNode();
    o.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:ResourceType");
    o.put("id", s.resourceType());
    o.put("name", s.resourceType());
    o.put("endpoint", s.endpoint());
    o.put("schema", s.coreUrn());
    ArrayNode ext = o.putArray("schemaExtensions");
    s.extensions().values().forEach(e -> ext.addObject().put("schema", e.urn()).put("required", false));
    o.putObject("meta").put("resourceType", "ResourceType").put("location", base() + "/ResourceTypes/" + s.resourceType());
    return o;
  }

  private String base() {
    return config.publicBaseUrl() + "/scim/v2/" + caller.get().directoryId();
  }
}
