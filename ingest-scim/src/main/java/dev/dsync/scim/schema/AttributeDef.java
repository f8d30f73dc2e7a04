package dev.dsync.scim.schema;

import java.util.List;
import java.util.Locale;

/** One attribute of a SCIM schema (RFC 7643 §7), enough to normalise, filter, sort and describe it. */
public record AttributeDef(
    String name,
    Type type,
    boolean multiValued,
    boolean caseExact,
    Mutability mutability,
    boolean required,
    String uniqueness,
    List<AttributeDef> subAttributes) {

  /** SCIM attribute data types. */
  public enum Type {
    /** A string. */
    STRING,
    /** true or false. */
    BOOLEAN,
    /** An xsd:dateTime string. */
    DATETIME,
    /** A whole number. */
    INTEGER,
    /** A decimal number. */
    DECIMAL,
    /** A URI referencing a resource. */
    REFERENCE,
    /** An object of sub-attributes. */
    COMPLEX,
    /** Base64 binary. */
    BINARY
  }

  /** Who may change an attribute. */
  public enum Mutability {
    /** Client may set and change it. */
    READ_WRITE,
    /** Set by the service provider only. */
    READ_ONLY,
    /** Set once by the client. */
    IMMUTABLE,
    /** Client may set it but it is never returned. */
    WRITE_ONLY
  }

  public static AttributeDef string(String name) {
    return new AttributeDef(name, Type.STRING, false, false, Mutability.READ_WRITE, false, "none", List.of());
  }

  public static AttributeDef exact(String name) {
    return new AttributeDef(name, Type.STRING, false, true, Mutability.READ_WRITE, false, "none", List.of());
  }

  public static AttributeDef bool(String name) {
    return new AttributeDef(name, Type.BOOLEAN, false, false, Mutability.READ_WRITE, false, "none", List.of());
  }

  public static AttributeDef complex(String name, boolean multiValued, AttributeDef... subs) {
    return new AttributeDef(name, Type.COMPLEX, multiValued, false, Mutability.READ_WRITE, false, "none", List.of(subs));
  }

  public AttributeDef readOnly() {
    return new AttributeDef(name, type, multiValued, caseExact, Mutability.READ_ONLY, required, uniqueness, subAttributes);
  }

  public AttributeDef requiredServer() {
    return new AttributeDef(name, type, multiValued, caseExact, mutability, true, "server", subAttributes);
  }

  public AttributeDef ofType(Type t) {
    return new AttributeDef(name, t, multiValued, caseExact, mutability, required, uniqueness, subAttributes);
  }

  /** The sub-attribute called {@code n}, case-insensitively, or null. */
  public AttributeDef sub(String n) {
    for (AttributeDef d : subAttributes) {
      if (d.name.equalsIgnoreCase(n)) {
        return d;
      }
    }
    return null;
  }

  public String mutabilityName() {
    String s = mutability.name().toLowerCase(Locale.ROOT);
    int i = s.indexOf('_');
    return i < 0 ? s : s.substring(0, i) + Character.toUpperCase(s.charAt(i + 1)) + s.substring(i + 2);
  }
}
