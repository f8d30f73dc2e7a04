package dev.dsync.reconciler.thresholds;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Whether a job's planned changes stay within thresholds, and why not. */
public record ThresholdVerdict(boolean exceeded, List<String> reasons) {

  /**
   * Evaluates planned counts against the rules. Besides the per-action limits, a complete sync that
   * would deprovision every managed entity is always refused: an empty or truncated listing must
   * never wipe a directory, however small. A directory with no managed population yet is in its
   * initial load: inserts are not limited (every first sync would otherwise be blocked), while
   * updates and deletions cannot occur.
   */
  public static ThresholdVerdict evaluate(
      ThresholdRules rules, Map<ThresholdAction, Long> planned, long population, boolean completeSync) {
    List<String> reasons = new ArrayList<>();
    if (!rules.enabled()) {
      return new ThresholdVerdict(false, reasons);
    }
    Map<ThresholdAction, Long> counts = new EnumMap<>(ThresholdAction.class);
    counts.putAll(planned);
    for (ThresholdAction a : ThresholdAction.values()) {
      long n = counts.getOrDefault(a, 0L);
      if (a == ThresholdAction.INSERTED && population == 0) {
        continue;
      }
      long allowed = rules.limit(a).allowed(population);
      if (n > allowed) {
        reasons.add(a.name().toLowerCase() + " " + n + " > allowed " + allowed + " (population " + population + ")");
      }
    }
    long deletions = counts.getOrDefault(ThresholdAction.DELETED, 0L);
    if (completeSync && population > 0 && deletions >= population) {
      reasons.add("complete sync would deprovision all " + population + " managed entities");
    }
    return new ThresholdVerdict(!reasons.isEmpty(), reasons);
  }
}
