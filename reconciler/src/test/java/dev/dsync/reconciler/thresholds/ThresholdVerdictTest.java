package dev.dsync.reconciler.thresholds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ThresholdVerdictTest {

  @Test
  void defaults_allow_100_rows_or_5_percent_whichever_is_larger() {
    ThresholdRules d = ThresholdRules.defaults();
    assertThat(ThresholdVerdict.evaluate(d, Map.of(ThresholdAction.DELETED, 100L), 1000, false).exceeded()).isFalse();
    assertThat(ThresholdVerdict.evaluate(d, Map.of(ThresholdAction.DELETED, 101L), 1000, false).exceeded()).isTrue();
    assertThat(ThresholdVerdict.evaluate(d, Map.of(ThresholdAction.INSERTED, 500L), 10_000, false).exceeded()).isFalse();
    assertThat(ThresholdVerdict.evaluate(d, Map.of(ThresholdAction.UPDATED, 501L), 10_000, false).exceeded()).isTrue();
  }

  @Test
  void a_complete_sync_wiping_the_directory_is_always_refused_unless_thresholds_are_off() {
    assertThat(ThresholdVerdict.evaluate(ThresholdRules.defaults(), Map.of(ThresholdAction.DELETED, 5L), 5, true).exceeded()).isTrue();
    assertThat(ThresholdVerdict.evaluate(ThresholdRules.defaults(), Map.of(ThresholdAction.DELETED, 5L), 5, false).exceeded()).isFalse();
    ThresholdRules off = new ThresholdRules(false, null, null, null, null, null);
    assertThat(ThresholdVerdict.evaluate(off, Map.of(ThresholdAction.DELETED, 5000L), 5000, true).exceeded()).isFalse();
  }

  @Test
  void a_fresh_directory_initial_load_is_not_limited_but_the_next_large_insert_is() {
    ThresholdRules d = ThresholdRules.defaults();
    assertThat(ThresholdVerdict.evaluate(d, Map.of(ThresholdAction.INSERTED, 100_000L), 0, true).exceeded()).isFalse();
    assertThat(ThresholdVerdict.evaluate(d, Map.of(ThresholdAction.INSERTED, 100_000L), 1, true).exceeded()).isTrue();
    assertThat(ThresholdVerdict.evaluate(d, Map.of(ThresholdAction.INSERTED, 101L), 10, false).exceeded()).isTrue();
  }
}
