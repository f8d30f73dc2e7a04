package dev.dsync.reconciler.conflicts;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Merges one directory's mapped values into a canonical identity fed by several directories: an
 * attribute owned by another directory is taken over only with a higher priority, or an equal
 * priority and a newer source time. Pure: the caller persists the result.
 */
public final class ConflictResolver {

  private ConflictResolver() {}

  /** The merged attributes, their provenance, and the previous value of each attribute that changed. */
  public record Merge(
      Map<String, Object> attributes, Map<String, Provenance> provenance, Map<String, Object> previous, int keptByPriority) {

    public boolean changed() {
      return !previous.isEmpty();
    }
  }

  public static Merge merge(
      Map<String, Object> current,
      Map<String, Provenance> provenance,
      Map<String, Object> incoming,
      String directoryId,
      long sourceVersion,
      Instant sourceTime,
      ConflictRules rules) {
    Map<String, Object> attrs = new TreeMap<>(current);
    Map<String, Provenance> prov = new TreeMap<>(provenance);
    Map<String, Object> previous = new HashMap<>();
    int kept = 0;
    Set<String> keys = new TreeSet<>(incoming.keySet());
    provenance.forEach((k, p) -> {
      if (directoryId.equals(p.directoryId())) {
        keys.add(k);
      }
    });
    for (String key : keys) {
      Object value = incoming.get(key);
      Provenance owner = prov.get(key);
      int mine = rules.priorityOf(key);
      boolean take;
      if (owner == null || owner.directoryId().equals(directoryId) || !attrs.containsKey(key)) {
        take = value != null || owner == null || owner.directoryId().equals(directoryId);
      } else if (value == null) {
        take = false; // another directory still supplies it; this one merely lacks it
      } else if (mine != owner.priority()) {
        take = mine > owner.priority();
      } else {
        take = owner.sourceTime() == null || sourceTime == null || !sourceTime.isBefore(owner.sourceTime());
      }
      if (!take) {
        if (!Objects.equals(attrs.get(key), value)) {
          kept++;
        }
        continue;
      }
      Object old = attrs.get(key);
      if (!Objects.equals(old, value)) {
        previous.put(key, old);
        if (value == null) {
          attrs.remove(key);
        } else {
          attrs.put(key, value);
        }
      }
      if (value == null) {
        prov.remove(key);
      } else {
        prov.put(key, new Provenance(directoryId, sourceVersion, sourceTime, mine));
      }
    }
    return new Merge(attrs, prov, previous, kept);
  }
}
