package dev.dsync.scim.resources;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.scim.schema.ScimSchemas;
import java.util.List;

/** SCIM ListResponse bodies (RFC 7644 §3.4.2): integer totalResults, startIndex, itemsPerPage. */
public final class Pages {

  private Pages() {}

  public static ObjectNode listResponse(long total, int startIndex, List<ObjectNode> resources) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.putArray("schemas").add(ScimSchemas.LIST_RESPONSE);
    out.put("totalResults", total);
    out.put("startIndex", startIndex);
    out.put("itemsPerPage", resources.size());
    ArrayNode arr = out.putArray("Resources");
    resources.forEach(arr::add);
    return out;
  }
}
