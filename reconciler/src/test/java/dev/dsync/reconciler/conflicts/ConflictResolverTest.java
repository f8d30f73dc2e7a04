package dev.dsync.reconciler.conflicts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConflictResolverTest {

  private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void priority_then_newer_time_decides_per_attribute() {
    var first = ConflictResolver.merge(Map.of(), Map.of(), Map.of("displayName", "HR", "title", "Clerk"), "hr", 1, t0, new ConflictRules(10, null));
    var fromIt = ConflictResolver.merge(first.attributes(), first.provenance(), Map.of("displayName", "IT", "title", "Eng"), "it", 1,
        t0.plusSeconds(60), new ConflictRules(0, Map.of("title", 20)));
    assertThat(fromIt.attributes()).containsEntry("displayName", "HR").containsEntry("title", "Eng");
    assertThat(fromIt.previous()).containsOnlyKeys("title");
    assertThat(fromIt.keptByPriority()).isEqualTo(1);

    var tieOlder = ConflictResolver.merge(first.attributes(), first.provenance(), Map.of("displayName", "Old"), "x", 1, t0.minusSeconds(1), new ConflictRules(10, null));
    assertThat(tieOlder.changed()).isFalse();
    var tieNewer = ConflictResolver.merge(first.attributes(), first.provenance(), Map.of("displayName", "New"), "x", 1, t0.plusSeconds(1), new ConflictRules(10, null));
    assertThat(tieNewer.attributes()).containsEntry("displayName", "New");
  }

  @Test
  void an_attribute_the_owner_drops_is_removed_but_another_directory_lacking_it_changes_nothing() {
    var first = ConflictResolver.merge(Map.of(), Map.of(), Map.of("title", "Clerk"), "hr", 1, t0, new ConflictRules(0, null));
    assertThat(ConflictResolver.merge(first.attributes(), first.provenance(), Map.of(), "it", 1, t0, new ConflictRules(0, null)).changed()).isFalse();
    var dropped = ConflictResolver.merge(first.attributes(), first.provenance(), Map.of(), "hr", 2, t0, new ConflictRules(0, null));
    assertThat(dropped.attributes()).doesNotContainKey("title");
    assertThat(dropped.previous()).containsEntry("title", "Clerk");
  }
}
