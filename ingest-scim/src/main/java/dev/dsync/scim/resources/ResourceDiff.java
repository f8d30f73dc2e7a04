package dev.dsync.scim.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The attribute paths that differ between two stored resources (two levels deep). */
public final class ResourceDiff {

  private ResourceDiff() {}

  public static List<String> changed(ObjectNode before, ObjectNode after) {
    Set<String> keys = new LinkedHashSet<>();
    if (before != null) {
      before.fieldNames().forEachRemaining(keys::add);
    }
    after.fieldNames().forEachRemaining(keys::add);
    keys.remove("schemas");
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      JsonNode a = before == null ? null : before.get(k);
      JsonNode b = after.get(k);
      if (a != null && a.equals(b)) {
        continue;
      }
      if (a != null && b != null && a.isObject() && b.isObject()) {
        Set<String> subs = new LinkedHashSet<>();
        a.fieldNames().forEachRemaining(subs::add);
        b.fieldNames().forEachRemaining(subs::add);
        String sep = k.startsWith("urn:") ? ":" : ".";
        for (String s : subs) {
          JsonNode sa = a.get(s);
          JsonNode sb = b.get(s);
          if (sa == null ? sb != null : !sa.equals(sb)) {
            out.add(k + sep + s);
          }
        }
      } else {
        out.add(k);
      }
    }
    return out;
  }
}
