package dev.dsync.reconciler.thresholds;

import java.time.Duration;

/**
 * Safety thresholds of a directory, on by default. Per sync job: limits per action. For push
 * directories (no job): at most {@code windowDeletions} deletions within {@code window}.
 */
public record ThresholdRules(
    Boolean enabled,
    ActionLimit inserted,
    ActionLimit updated,
    ActionLimit deleted,
    ActionLimit windowDeletions,
    Duration window) {

  public ThresholdRules {
    enabled = enabled == null || enabled;
    inserted = inserted == null ? ActionLimit.defaults() : inserted;
    updated = updated == null ? ActionLimit.defaults() : updated;
    deleted = deleted == null ? ActionLimit.defaults() : deleted;
    windowDeletions = windowDeletions == null ? ActionLimit.defaults() : windowDeletions;
    window = window == null ? Duration.ofMinutes(10) : window;
  }

  public static ThresholdRules defaults() {
    return new ThresholdRules(null, null, null, null, null, null);
  }

  public ActionLimit limit(ThresholdAction action) {
    return switch (action) {
      case INSERTED -> inserted;
      case UPDATED -> updated;
      case DELETED -> deleted;
    };
  }
}
