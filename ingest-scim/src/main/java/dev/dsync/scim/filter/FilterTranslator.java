package dev.dsync.scim.filter;

import com.fasterxml.jackson.databind.node.ValueNode;
import com.unboundid.scim2.common.Path;
import com.unboundid.scim2.common.filters.Filter;
import com.unboundid.scim2.common.filters.FilterType;
import dev.dsync.scim.protocol.ScimProblem;
import dev.dsync.scim.schema.AttributeDef;
import dev.dsync.scim.schema.AttributeDef.Type;
import dev.dsync.scim.schema.ResourceSchema;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Translates a parsed SCIM filter into a PostgreSQL condition over the resource table (alias
 * {@code r}). userName, externalId, displayName, emails.value, id, active, meta dates and group
 * members map to indexed columns; every other attribute, extension attributes and unknown ones
 * included, is read from the JSON document, multi-valued ones through jsonb_array_elements. Case
 * sensitivity follows each attribute's caseExact.
 */
public final class FilterTranslator {

  private final ResourceSchema schema;
  private final int firstParam;
  private final List<Object> params = new ArrayList<>();
  private int depth;

  private FilterTranslator(ResourceSchema schema, int firstParam) {
    this.schema = schema;
    this.firstParam = firstParam;
  }

  /** Translates {@code filter}; parameters are numbered from {@code firstParam}. */
  public static SqlWhere translate(Filter filter, ResourceSchema schema, int firstParam) {
    FilterTranslator t = new FilterTranslator(schema, firstParam);
    String sql = t.node(filter, Scope.RESOURCE, null);
    return new SqlWhere(sql, List.copyOf(t.params));
  }

  /** Translates a members value filter into a condition over scim_group_member rows (alias {@code m}). */
  public static SqlWhere translateMembers(Filter valueFilter, int firstParam) {
    FilterTranslator t = new FilterTranslator(dev.dsync.scim.schema.ScimSchemas.GROUPS, firstParam);
    String sql = t.node(valueFilter, Scope.MEMBER_ROW, dev.dsync.scim.schema.ScimSchemas.GROUPS.attribute("members"));
    return new SqlWhere(sql, List.copyOf(t.params));
  }

  /** Where a filter's attribute paths are resolved: the resource, or one element of a multi-valued attribute. */
  private enum Scope {
    RESOURCE,
    JSON_ELEMENT,
    MEMBER_ROW
  }

  private String node(Filter f, Scope scope, AttributeDef parent) {
    if (++depth > 64) {
      throw ScimProblem.invalidFilter("the filter is nested too deeply");
    }
    try {
      FilterType type = f.getFilterType();
      switch (type) {
        case AND, OR -> {
          List<String> parts = new ArrayList<>();
          for (Filter c : f.getCombinedFilters()) {
            parts.add(node(c, scope, parent));
          }
          return "(" + String.join(type == FilterType.AND ? " and " : " or ", parts) + ")";
        }
        case NOT -> {
          return "(not coalesce(" + node(f.getInvertedFilter(), scope, parent) + ", false))";
        }
        case COMPLEX_VALUE -> {
          return complexValue(f, scope);
        }
        default -> {
          return comparison(f, scope, parent);
        }
      }
    } finally {
      depth--;
    }
  }

  private String complexValue(Filter f, Scope scope) {
    if (scope != Scope.RESOURCE) {
      throw ScimProblem.invalidFilter("value filters cannot be nested");
    }
    Path path = f.getAttributePath();
    Resolved attr = resolve(path);
    if (schema.resourceType().equals("Group") && attr.core() && attr.name().equals("members")) {
      return "exists (select 1 from scim_group_member m where m.group_id = r.id and "
          + node(f.getValueFilter(), Scope.MEMBER_ROW, attr.def()) + ")";
    }
    if (schema.resourceType().equals("User") && attr.core() && attr.name().equals("groups")) {
      return "exists (select 1 from scim_group_member m where m.member_id = r.id::text and "
          + node(f.getValueFilter(), Scope.MEMBER_ROW, attr.def()) + ")";
    }
    return "exists (select 1 from jsonb_array_elements(" + arrayOf(attr.json()) + ") e where "
        + node(f.getValueFilter(), Scope.JSON_ELEMENT, attr.def()) + ")";
  }

  private String comparison(Filter f, Scope scope, AttributeDef parent) {
    Path path = f.getAttributePath();
    FilterType op = f.getFilterType();
    ValueNode value = op == FilterType.PRESENT ? null : f.getComparisonValue();
    if (scope == Scope.MEMBER_ROW) {
      String sub = path.getElement(0).getAttribute();
      String column =
          switch (sub.toLowerCase()) {
            case "value" -> "m.member_id";
            case "display" -> "m.display";
            case "type" -> "m.member_type";
            default -> throw ScimProblem.invalidFilter("members have no sub-attribute '" + sub + "'");
          };
      boolean exact = !sub.equalsIgnoreCase("display");
      return compare(column, Type.STRING, exact, op, value, sub);
    }
    if (scope == Scope.JSON_ELEMENT) {
      String sub = path.getElement(0).getAttribute();
      AttributeDef def = parent == null ? null : parent.sub(sub);
      String name = def == null ? sub : def.name();
      return compareJson("e", name, def, op, value);
    }
    Resolved attr = resolve(path);
    String special = column(attr, op, value);
    if (special != null) {
      return special;
    }
    AttributeDef def = attr.def();
    String sub = attr.sub();
    if (def != null && def.multiValued()) {
      String subName = sub == null ? "value" : sub;
      AttributeDef subDef = def.sub(subName);
      String expr = compareJson("e", subDef == null ? subName : subDef.name(), subDef, op, value);
      if (op == FilterType.PRESENT && sub == null) {
        return "(jsonb_typeof(" + attr.json() + ") = 'array' and jsonb_array_length(" + attr.json() + ") > 0)";
      }
      return "exists (select 1 from jsonb_array_elements(" + arrayOf(attr.json()) + ") e where " + expr + ")";
    }
    if (sub != null) {
      AttributeDef subDef = def == null ? null : def.sub(sub);
      return compareJson(attr.json(), subDef == null ? sub : subDef.name(), subDef, op, value);
    }
    if (def != null && def.type() == Type.COMPLEX) {
      if (op == FilterType.PRESENT) {
        return "(jsonb_typeof(" + attr.json() + ") = 'object')";
      }
      if (def.sub("value") != null) {
        // "manager eq X" compares the reference's value, as Entra means it.
        return compareJson(attr.json(), "value", def.sub("value"), op, value);
      }
      throw ScimProblem.invalidFilter("'" + attr.name() + "' is complex: compare one of its sub-attributes");
    }
    return compare(
        textOf(attr.json()),
        def == null ? Type.STRING : def.type(),
        def != null && def.caseExact(),
        op,
        value,
        attr.name());
  }

  /** Indexed columns for the attributes Okta and Entra filter on; null when none applies. */
  private String column(Resolved attr, FilterType op, ValueNode value) {
    if (!attr.core()) {
      return null;
    }
    String name = attr.name();
    String sub = attr.sub();
    boolean user = schema.resourceType().equals("User");
    if (sub == null) {
      switch (name) {
        case "id" -> {
          if (op == FilterType.EQUAL || op == FilterType.NOT_EQUAL) {
            UUID id = uuid(value);
            if (id == null) {
              return op == FilterType.EQUAL ? "false" : "true";
            }
            return "r.id " + (op == FilterType.EQUAL ? "=" : "<>") + " " + param(id);
          }
          return compare("r.id::text", Type.STRING, true, op, value, name);
        }
        case "externalId" -> {
          return compare("r.external_id", Type.STRING, true, op, value, name);
        }
        case "displayName" -> {
          return compare("r.display_name", Type.STRING, false, op, value, name);
        }
        default -> {
          // handled below
        }
      }
      if (user && name.equals("userName")) {
        if (op == FilterType.PRESENT) {
          return "true";
        }
        return compare("r.user_name_lower", Type.STRING, true, op, lowered(value), name);
      }
      if (user && name.equals("active")) {
        return compare("r.active", Type.BOOLEAN, true, op, value, name);
      }
      return null;
    }
    if (name.equals("meta")) {
      return switch (sub) {
        case "created" -> compare("r.created_at", Type.DATETIME, true, op, value, "meta.created");
        case "lastModified" -> compare("r.last_modified", Type.DATETIME, true, op, value, "meta.lastModified");
        case "resourceType" -> compare("'" + schema.resourceType() + "'", Type.STRING, false, op, value, "meta.resourceType");
        default -> throw ScimProblem.invalidFilter("meta." + sub + " cannot be filtered");
      };
    }
    if (user && name.equals("emails") && sub.equals("value") && op == FilterType.EQUAL && value != null && value.isTextual()) {
      return "r.emails_lower @> array[lower(" + param(value.asText()) + ")]";
    }
    if (user && name.equals("groups")) {
      String column = sub.equals("value") ? "m.group_id::text" : sub.equals("display") ? "g.display_name" : null;
      if (column == null) {
        throw ScimProblem.invalidFilter("groups." + sub + " cannot be filtered");
      }
      return "exists (select 1 from scim_group_member m join scim_group g on g.id = m.group_id"
          + " where m.member_id = r.id::text and "
          + compare(column, Type.STRING, sub.equals("value"), op, value, "groups." + sub) + ")";
    }
    if (!user && name.equals("members")) {
      String column =
          switch (sub) {
            case "value" -> "m.member_id";
            case "display" -> "m.display";
            case "type" -> "m.member_type";
            default -> throw ScimProblem.invalidFilter("members." + sub + " cannot be filtered");
          };
      return "exists (select 1 from scim_group_member m where m.group_id = r.id and "
          + compare(column, Type.STRING, !sub.equals("display"), op, value, "members." + sub) + ")";
    }
    return null;
  }

  private String compareJson(String base, String name, AttributeDef def, FilterType op, ValueNode value) {
    String json = base + "->'" + sqlKey(name) + "'";
    if (def != null && def.type() == Type.COMPLEX) {
      throw ScimProblem.invalidFilter("'" + name + "' is complex: compare one of its sub-attributes");
    }
    return compare(textOf(json), def == null ? Type.STRING : def.type(), def != null && def.caseExact(), op, value, name);
  }

  private String compare(String expr, Type type, boolean caseExact, FilterType op, ValueNode value, String name) {
    if (op == FilterType.PRESENT) {
      return "(" + expr + " is not null" + (type == Type.STRING || type == Type.REFERENCE ? " and " + expr + " <> ''" : "") + ")";
    }
    if (value == null || value.isNull()) {
      return switch (op) {
        case EQUAL -> "(" + expr + " is null)";
        case NOT_EQUAL -> "(" + expr + " is not null)";
        default -> throw ScimProblem.invalidFilter("'" + name + "' cannot be compared with null");
      };
    }
    switch (type) {
      case BOOLEAN -> {
        if (!value.isBoolean()) {
          throw ScimProblem.invalidFilter("'" + name + "' is boolean: compare it with true or false");
        }
        String e = expr.startsWith("r.") ? expr : "(" + expr + ")::boolean";
        return switch (op) {
          case EQUAL -> "(" + e + " = " + param(value.booleanValue()) + ")";
          case NOT_EQUAL -> "(" + e + " is distinct from " + param(value.booleanValue()) + ")";
          default -> throw ScimProblem.invalidFilter("'" + name + "' is boolean: only eq, ne and pr apply");
        };
      }
      case DATETIME -> {
        OffsetDateTime t;
        try {
          t = OffsetDateTime.parse(value.asText());
        } catch (DateTimeParseException e) {
          throw ScimProblem.invalidFilter("'" + name + "' needs an RFC 3339 date-time, got '" + value.asText() + "'");
        }
        String e = expr.startsWith("r.") ? expr : "(" + expr + ")::timestamptz";
        return "(" + e + " " + ordering(op, name) + " " + param(t) + ")";
      }
      case INTEGER, DECIMAL -> {
        if (!value.isNumber()) {
          throw ScimProblem.invalidFilter("'" + name + "' is a number");
        }
        return "((" + expr + ")::numeric " + ordering(op, name) + " " + param(value.decimalValue()) + ")";
      }
      default -> {
        String v = value.asText();
        String e = caseExact ? expr : "lower(" + expr + ")";
        return switch (op) {
          case EQUAL -> "(" + e + " = " + plain(v, caseExact) + ")";
          case NOT_EQUAL -> "(" + e + " is distinct from " + plain(v, caseExact) + ")";
          case CONTAINS -> "(" + e + " like " + like("%", v, "%", caseExact) + " escape '\\')";
          case STARTS_WITH -> "(" + e + " like " + like("", v, "%", caseExact) + " escape '\\')";
          case ENDS_WITH -> "(" + e + " like " + like("%", v, "", caseExact) + " escape '\\')";
          case GREATER_THAN, GREATER_OR_EQUAL, LESS_THAN, LESS_OR_EQUAL -> "(" + e + " " + ordering(op, name) + " " + plain(v, caseExact) + ")";
          default -> throw ScimProblem.invalidFilter("unsupported operator on '" + name + "'");
        };
      }
    }
  }

  private static String ordering(FilterType op, String name) {
    return switch (op) {
      case EQUAL -> "=";
      case NOT_EQUAL -> "<>";
      case GREATER_THAN -> ">";
      case GREATER_OR_EQUAL -> ">=";
      case LESS_THAN -> "<";
      case LESS_OR_EQUAL -> "<=";
      default -> throw ScimProblem.invalidFilter("co, sw and ew apply to strings only, not to '" + name + "'");
    };
  }

  private String plain(String value, boolean caseExact) {
    String p = param(value);
    return caseExact ? p : "lower(" + p + ")";
  }

  private String like(String before, String value, String after, boolean caseExact) {
    String escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    String p = param(before + escaped + after);
    return caseExact ? p : "lower(" + p + ")";
  }

  private String param(Object value) {
    params.add(value);
    return "$" + (firstParam + params.size() - 1);
  }

  private record Resolved(boolean core, String name, String sub, AttributeDef def, String json) {}

  private Resolved resolve(Path path) {
    if (path.size() == 0) {
      throw ScimProblem.invalidFilter("a filter needs an attribute");
    }
    if (path.size() > 2) {
      throw ScimProblem.invalidFilter("attribute paths have at most one sub-attribute");
    }
    String urn = path.getSchemaUrn();
    String first = path.getElement(0).getAttribute();
    String sub = path.size() > 1 ? path.getElement(1).getAttribute() : null;
    if (urn == null && schema.attribute(first) == null) {
      // Entra filters on "manager": an enterprise attribute named without its schema URN.
      for (ResourceSchema.Extension e : schema.extensions().values()) {
        if (e.attribute(first) != null) {
          urn = e.urn();
          break;
        }
      }
    }
    if (urn == null || urn.equalsIgnoreCase(schema.coreUrn())) {
      AttributeDef def = schema.attribute(first);
      if (def == null && first.equalsIgnoreCase("meta")) {
        return new Resolved(true, "meta", metaSub(sub), null, null);
      }
      String name = def == null ? first : def.name();
      String subName = sub;
      if (def != null && sub != null && def.sub(sub) != null) {
        subName = def.sub(sub).name();
      }
      return new Resolved(true, name, subName, def, "r.resource->'" + sqlKey(name) + "'");
    }
    ResourceSchema.Extension ext = schema.extension(urn);
    String urnKey = ext == null ? urn : ext.urn();
    AttributeDef def = ext == null ? null : ext.attribute(first);
    String name = def == null ? first : def.name();
    String subName = def != null && sub != null && def.sub(sub) != null ? def.sub(sub).name() : sub;
    return new Resolved(false, name, subName, def, "r.resource->'" + sqlKey(urnKey) + "'->'" + sqlKey(name) + "'");
  }

  private static String metaSub(String sub) {
    if (sub == null) {
      throw ScimProblem.invalidFilter("filter on meta.created, meta.lastModified or meta.resourceType");
    }
    for (String s : new String[] {"created", "lastModified", "resourceType", "version", "location"}) {
      if (s.equalsIgnoreCase(sub)) {
        return s;
      }
    }
    throw ScimProblem.invalidFilter("meta has no sub-attribute '" + sub + "'");
  }

  private static String textOf(String json) {
    // ->> on the last step, written as #>> '{}' so it works on any jsonb expression.
    return "(" + json + " #>> '{}')";
  }

  private static String arrayOf(String json) {
    return "case when jsonb_typeof(" + json + ") = 'array' then " + json + " else '[]'::jsonb end";
  }

  /** Attribute names go into SQL as JSON keys; refuse anything but the SCIM name grammar. */
  private static String sqlKey(String name) {
    if (!name.matches("[A-Za-z0-9_$:.\\-]+")) {
      throw ScimProblem.invalidFilter("'" + name + "' is not a valid attribute name");
    }
    return name;
  }

  private static ValueNode lowered(ValueNode v) {
    if (v != null && v.isTextual()) {
      return com.fasterxml.jackson.databind.node.TextNode.valueOf(v.asText().toLowerCase(java.util.Locale.ROOT));
    }
    return v;
  }

  private static UUID uuid(ValueNode v) {
    if (v == null || !v.isTextual()) {
      return null;
    }
    try {
      return UUID.fromString(v.asText());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
