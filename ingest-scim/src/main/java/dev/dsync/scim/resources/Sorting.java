package dev.dsync.scim.resources;

import dev.dsync.scim.protocol.ScimProblem;
import dev.dsync.scim.schema.AttributeDef;
import dev.dsync.scim.schema.ResourceSchema;

/** ORDER BY for sortBy/sortOrder (RFC 7644 §3.4.2.3); ties broken by creation and id so pages are stable. */
public final class Sorting {

  private Sorting() {}

  public static String orderBy(ResourceSchema schema, String sortBy, boolean descending) {
    String dir = descending ? " desc" : " asc";
    if (sortBy == null) {
      return "r.created_at" + dir + ", r.id" + dir;
    }
    String expr = expression(schema, sortBy.trim());
    return expr + dir + " nulls last, r.created_at, r.id";
  }

  private static String expression(ResourceSchema schema, String sortBy) {
    String s = sortBy;
    int core = s.toLowerCase().indexOf(schema.coreUrn().toLowerCase() + ":");
    if (core == 0) {
      s = s.substring(schema.coreUrn().length() + 1);
    }
    switch (s.toLowerCase()) {
      case "id":
        return "r.id";
      case "username":
        if (schema.resourceType().equals("User")) {
          return "r.user_name_lower";
        }
        break;
      case "displayname":
        return "lower(r.display_name)";
      case "externalid":
        return "r.external_id";
      case "meta.created":
        return "r.created_at";
      case "meta.lastmodified":
        return "r.last_modified";
      default:
        break;
    }
    String[] parts = s.split("\\.");
    if (parts.length > 2 || !s.matches("[A-Za-z0-9_$.]+")) {
      throw ScimProblem.invalidValue("cannot sort by '" + sortBy + "'");
    }
    AttributeDef def = schema.attribute(parts[0]);
    if (def == null) {
      throw ScimProblem.invalidValue("cannot sort by unknown attribute '" + sortBy + "'");
    }
    if (def.multiValued()) {
      String sub = parts.length > 1 ? parts[1] : "value";
      // RFC: a multi-valued attribute sorts by its primary (or first) value.
      return "(select lower(e->>'" + sub + "') from jsonb_array_elements(case when jsonb_typeof(r.resource->'" + def.name()
          + "') = 'array' then r.resource->'" + def.name() + "' else '[]'::jsonb end) e order by (e->>'primary')::boolean desc nulls last limit 1)";
    }
    if (parts.length == 2) {
      AttributeDef sub = def.sub(parts[1]);
      if (sub == null) {
        throw ScimProblem.invalidValue("cannot sort by unknown attribute '" + sortBy + "'");
      }
      return "lower(r.resource->'" + def.name() + "'->>'" + sub.name() + "')";
    }
    return "lower(r.resource->>'" + def.name() + "')";
  }
}
