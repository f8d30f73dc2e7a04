package dev.dsync.scim.schema;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A resource type's schemas: its core schema's attributes and its extensions' attributes, looked up
 * case-insensitively as SCIM requires.
 */
public record ResourceSchema(
    String resourceType,
    String endpoint,
    String coreUrn,
    String coreName,
    List<AttributeDef> core,
    Map<String, Extension> extensions) {

  /** An extension schema (e.g. the enterprise user) and its attributes. */
  public record Extension(String urn, String name, List<AttributeDef> attributes) {
    public AttributeDef attribute(String n) {
      for (AttributeDef d : attributes) {
        if (d.name().equalsIgnoreCase(n)) {
          return d;
        }
      }
      return null;
    }
  }

  /** The core attribute called {@code name} (any case), or null. */
  public AttributeDef attribute(String name) {
    for (AttributeDef d : core) {
      if (d.name().equalsIgnoreCase(name)) {
        return d;
      }
    }
    return null;
  }

  /** The known extension with this URN (any case), or null. */
  public Extension extension(String urn) {
    return extensions.get(urn.toLowerCase(Locale.ROOT));
  }

  static Map<String, Extension> index(Extension... exts) {
    Map<String, Extension> m = new LinkedHashMap<>();
    for (Extension e : exts) {
      m.put(e.urn().toLowerCase(Locale.ROOT), e);
    }
    return m;
  }
}
