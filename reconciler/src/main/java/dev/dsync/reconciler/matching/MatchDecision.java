package dev.dsync.reconciler.matching;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The outcome of correlation, the key that decided it and the candidates it found. */
public record MatchDecision(MatchOutcome outcome, MatchKey decidedBy, List<UUID> candidates) {

  /**
   * Ordered correlation: the first key that finds anything decides. One candidate is a match,
   * several are a dispute; no key finding anything means a new identity.
   */
  public static MatchDecision decide(Map<MatchKey, List<UUID>> candidatesByKeyInOrder) {
    for (Map.Entry<MatchKey, List<UUID>> e : candidatesByKeyInOrder.entrySet()) {
      List<UUID> found = e.getValue().stream().distinct().toList();
      if (found.size() == 1) {
        return new MatchDecision(MatchOutcome.MATCHED, e.getKey(), found);
      }
      if (found.size() > 1) {
        return new MatchDecision(MatchOutcome.DISPUTED, e.getKey(), found);
      }
    }
    return new MatchDecision(MatchOutcome.NEW, null, List.of());
  }

  /** Convenience for building the ordered input. */
  public static Map<MatchKey, List<UUID>> ordered() {
    return new LinkedHashMap<>();
  }

  public UUID identityId() {
    return outcome == MatchOutcome.MATCHED ? candidates.get(0) : null;
  }
}
