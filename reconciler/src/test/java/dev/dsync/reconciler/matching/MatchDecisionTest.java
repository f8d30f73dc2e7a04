package dev.dsync.reconciler.matching;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MatchDecisionTest {

  private final UUID a = UUID.randomUUID();
  private final UUID b = UUID.randomUUID();

  @Test
  void the_first_key_that_finds_anything_decides() {
    var in = MatchDecision.ordered();
    in.put(MatchKey.EXTERNAL_ID, List.of());
    in.put(MatchKey.PRIMARY_EMAIL, List.of(a));
    in.put(MatchKey.USER_NAME, List.of(b));
    assertThat(MatchDecision.decide(in)).isEqualTo(new MatchDecision(MatchOutcome.MATCHED, MatchKey.PRIMARY_EMAIL, List.of(a)));
  }

  @Test
  void several_candidates_are_a_dispute_and_none_is_new() {
    var in = MatchDecision.ordered();
    in.put(MatchKey.EXTERNAL_ID, List.of(a, b));
    assertThat(MatchDecision.decide(in).outcome()).isEqualTo(MatchOutcome.DISPUTED);
    assertThat(MatchDecision.decide(MatchDecision.ordered()).outcome()).isEqualTo(MatchOutcome.NEW);
  }

  @Test
  void keys_read_normalised_values() {
    Map<String, Object> user = Map.of("userName", "Ann@X.test", "emails",
        List.of(Map.of("value", "other@x.test", "primary", false), Map.of("value", "ANN@x.test", "primary", true)));
    assertThat(MatchKey.USER_NAME.valueIn(user)).isEqualTo("ann@x.test");
    assertThat(MatchKey.PRIMARY_EMAIL.valueIn(user)).isEqualTo("ann@x.test");
    assertThat(MatchKey.EXTERNAL_ID.valueIn(user)).isNull();
  }
}
