package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs of bounded size, as job pages are cut into parts and polls into transactions. */
class StepsTest {

  @Test
  void a_run_ends_at_its_count_before_the_weight_limit_would_be_passed_and_after_a_marked_item() {
    List<Integer> weights = List.of(1, 1, 1, 5, 1, 9, 1, 0, 1, 1);
    // count 3, weight 6, and 0 marks the end of a run
    List<List<Integer>> runs = Steps.runs(weights, w -> w, 3, 6, w -> w == 0);
    assertThat(runs).containsExactly(List.of(1, 1, 1), List.of(5, 1), List.of(9), List.of(1, 0), List.of(1, 1));
  }

  @Test
  void nothing_gives_no_runs_and_one_item_one_run() {
    assertThat(Steps.runs(List.<Integer>of(), w -> w, 3, 6, w -> false)).isEmpty();
    assertThat(Steps.runs(List.of(100), w -> w, 3, 6, w -> false)).containsExactly(List.of(100));
  }
}
