package dev.dsync.scim.resources;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.scim.schema.ScimSchemas;
import java.util.List;

/** SCIM ListResponse bodies (RFC 7644 §3.4.2): integer totalResults, startIndex, itemsPerPage. */
public final class Pages {

  private Pages() {}

  /**
   * totalResults as the page alone tells it, or null when it takes a count: a page shorter than
   * asked for ends the results, unless it is empty past the first one (the results may end earlier).
   */
  public static Long totalFromPage(int startIndex, int count, int pageSize) {
    if (pageSize >= count || (pageSize == 0 && startIndex > 1)) {
      return null;
    }
    return (long) (startIndex - 1) + pageSize;
  }

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
