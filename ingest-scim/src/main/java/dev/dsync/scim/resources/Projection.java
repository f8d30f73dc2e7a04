package dev.dsync.scim.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/** {@code attributes} / {@code excludedAttributes} (RFC 7644 §3.4.2.5) applied to a rendered resource. */
public record Projection(List<String> attributes, List<String> excluded) {

  public static final Projection ALL = new Projection(List.of(), List.of());

  public static Projection of(String attributes, String excludedAttributes) {
    return new Projection(split(attributes), split(excludedAttributes));
  }

  /** Whether {@code name} (a top-level attribute) would be returned: lets callers skip loading it. */
  public boolean includes(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (excluded.contains(n)) {
      return false;
    }
    return attributes.isEmpty() || attributes.stream().anyMatch(a -> a.equals(n) || a.startsWith(n + "."));
  }

  public ObjectNode apply(ObjectNode resource) {
    if (attributes.isEmpty() && excluded.isEmpty()) {
      return resource;
    }
    if (!attributes.isEmpty()) {
      Iterator<String> names = resource.fieldNames();
      List<String> drop = new ArrayList<>();
      while (names.hasNext()) {
        String n = names.next();
        String lower = n.toLowerCase(Locale.ROOT);
        if (lower.equals("id") || lower.equals("schemas")) {
          continue; // always returned
        }
        boolean wanted = attributes.stream().anyMatch(a -> a.equals(lower) || a.startsWith(lower + ".") || a.startsWith(lower + ":"));
        if (!wanted) {
          drop.add(n);
        } else if (resource.get(n).isObject()) {
          keepSubs((ObjectNode) resource.get(n), lower);
        }
      }
      resource.remove(drop);
    }
    for (String ex : excluded) {
      Iterator<String> names = resource.fieldNames();
      List<String> drop = new ArrayList<>();
      while (names.hasNext()) {
        String n = names.next();
        String lower = n.toLowerCase(Locale.ROOT);
        if (!lower.equals("id") && !lower.equals("schemas") && lower.equals(ex)) {
          drop.add(n);
        } else if (ex.startsWith(lower + ".") && resource.get(n).isObject()) {
          removeSub((ObjectNode) resource.get(n), ex.substring(lower.length() + 1));
        }
      }
      resource.remove(drop);
    }
    return resource;
  }

  private void keepSubs(ObjectNode node, String prefix) {
    List<String> subs = attributes.stream().filter(a -> a.startsWith(prefix + ".")).map(a -> a.substring(prefix.length() + 1)).toList();
    if (subs.isEmpty() || attributes.contains(prefix)) {
      return;
    }
    List<String> drop = new ArrayList<>();
    node.fieldNames().forEachRemaining(n -> {
      if (!subs.contains(n.toLowerCase(Locale.ROOT))) {
        drop.add(n);
      }
    });
    node.remove(drop);
  }

  private static void removeSub(ObjectNode node, String sub) {
    List<String> drop = new ArrayList<>();
    node.fieldNames().forEachRemaining(n -> {
      if (n.equalsIgnoreCase(sub)) {
        drop.add(n);
      }
    });
    node.remove(drop);
  }

  private static List<String> split(String csv) {
    if (csv == null || csv.isBlank()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String s : csv.split(",")) {
      String t = s.trim();
      if (!t.isEmpty()) {
        // A core-schema URN prefix adds nothing: "urn:...:core:2.0:User:userName" is "userName".
        int core = t.toLowerCase(Locale.ROOT).indexOf(":core:2.0:");
        if (core >= 0) {
          int colon = t.indexOf(':', core + ":core:2.0:".length());
          if (colon > 0) {
            t = t.substring(colon + 1);
          }
        }
        out.add(t.toLowerCase(Locale.ROOT));
      }
    }
    return List.copyOf(out);
  }
}
