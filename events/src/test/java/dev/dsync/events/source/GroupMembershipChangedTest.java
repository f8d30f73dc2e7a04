package dev.dsync.events.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroupMembershipChangedTest {

  @Test
  void a_large_delta_is_split_removals_first_each_part_keeping_the_version() {
    GroupMembershipChanged big = new GroupMembershipChanged("g", 7, Instant.now(), refs("a", 5), refs("r", 3), false, null, "job");
    List<GroupMembershipChanged> parts = big.split(2);
    assertThat(parts).extracting(p -> p.removed().size() + ":" + p.added().size()).containsExactly("2:0", "1:0", "0:2", "0:2", "0:1");
    assertThat(parts).allSatisfy(p -> {
      assertThat(p.sourceVersion()).isEqualTo(7);
      assertThat(p.groupId()).isEqualTo("g");
      assertThat(p.jobId()).isEqualTo("job");
      assertThat(p.replaced()).isFalse();
    });
    assertThat(parts.stream().flatMap(p -> p.added().stream()).toList()).containsExactlyElementsOf(big.added());
    assertThat(parts.stream().flatMap(p -> p.removed().stream()).toList()).containsExactlyElementsOf(big.removed());
  }

  @Test
  void long_member_values_split_by_size_before_the_count_limit() {
    List<MemberRef> added = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      added.add(new MemberRef("v".repeat(1000) + i, "User")); // ~3,045 bytes each as estimated
    }
    GroupMembershipChanged big = new GroupMembershipChanged("g", 3, Instant.now(), added, List.of(), false, null, null);
    List<GroupMembershipChanged> parts = big.split(1000, 10_000);
    assertThat(parts).extracting(p -> p.added().size()).containsExactly(3, 3, 3, 1);
    assertThat(parts.stream().flatMap(p -> p.added().stream()).toList()).containsExactlyElementsOf(added);
  }

  @Test
  void a_small_delta_and_a_replacement_stay_whole() {
    GroupMembershipChanged small = new GroupMembershipChanged("g", 1, Instant.now(), refs("a", 2), List.of(), false, null, null);
    assertThat(small.split(2)).containsExactly(small);
    GroupMembershipChanged replacement = new GroupMembershipChanged("g", 1, Instant.now(), refs("a", 5), List.of(), true, null, null);
    assertThat(replacement.split(2)).containsExactly(replacement);
  }

  private static List<MemberRef> refs(String prefix, int n) {
    List<MemberRef> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new MemberRef(prefix + i, "User"));
    }
    return out;
  }
}
