package dev.dsync.reconciler.mapping;

import java.util.List;

/**
 * Maps one source path (SCIM attribute path, e.g. {@code name.givenName},
 * {@code emails[type eq "work"].value} or an enterprise URN path) to one canonical attribute, through
 * an ordered chain of transforms. A mapping with no source starts from nothing (for TEMPLATE or
 * DEFAULT).
 */
public record AttributeMapping(
    String target, String source, List<Transform> transforms, MultiValued multiValued, String separator) {

  public AttributeMapping {
    transforms = transforms == null ? List.of() : List.copyOf(transforms);
  }

  public static AttributeMapping of(String target, String source, Transform... transforms) {
    return new AttributeMapping(target, source, List.of(transforms), null, null);
  }
}
