package dev.dsync.reconciler.conflicts;

import java.util.Map;

/**
 * How much a directory's values weigh against other directories feeding the same identity:
 * {@code priority} for every attribute, overridden per canonical attribute. Higher wins; on a tie
 * the newer source time wins.
 */
public record ConflictRules(Integer priority, Map<String, Integer> attributePriorities) {

  public ConflictRules {
    priority = priority == null ? 0 : priority;
    attributePriorities = attributePriorities == null ? Map.of() : Map.copyOf(attributePriorities);
  }

  public int priorityOf(String attribute) {
    return attributePriorities.getOrDefault(attribute, priority);
  }
}
