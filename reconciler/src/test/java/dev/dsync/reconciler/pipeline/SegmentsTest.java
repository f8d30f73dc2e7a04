package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.events.EventType;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.MemberRef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** How a polled batch is cut into transactions. */
class SegmentsTest {

  @Test
  void a_batch_is_cut_after_a_job_completion_and_before_a_change_that_would_pass_the_weight_limit() {
    List<Reconciler.Received> batch = List.of(
        user(), user(), members(8), // 1 + 1 + 9 = 11
        members(8), // 11 + 9 > 12: a new transaction
        completed(), // ends the transaction after it
        members(30), // heavier than the limit on its own: still applied, alone
        user(), user(), rejected()); // a change that could not be read weighs 1
    List<List<Reconciler.Received>> segments = SourceChangesConsumer.segments(batch, 12);
    assertThat(segments.stream().map(List::size).toList()).containsExactly(3, 2, 1, 3);
    assertThat(segments.stream().flatMap(List::stream).toList()).containsExactlyElementsOf(batch);
  }

  @Test
  void light_changes_share_one_transaction_up_to_the_limit() {
    List<Reconciler.Received> batch = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      batch.add(user());
    }
    assertThat(SourceChangesConsumer.segments(batch, 12).stream().map(List::size).toList()).containsExactly(10);
    assertThat(SourceChangesConsumer.segments(batch, 4).stream().map(List::size).toList()).containsExactly(4, 4, 2);
  }

  private static Reconciler.Received user() {
    return Reconciler.Received.ok(new SourceChange(UUID.randomUUID(), EventType.SOURCE_USER_DELETED, "t", "d", null, "{}"));
  }

  private static Reconciler.Received members(int n) {
    List<MemberRef> added = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      added.add(new MemberRef("u" + i, "User"));
    }
    var data = new GroupMembershipChanged("g", 1, Instant.now(), added, List.of(), false, null, null);
    return Reconciler.Received.ok(new SourceChange(UUID.randomUUID(), EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, "t", "d", data, "{}"));
  }

  private static Reconciler.Received completed() {
    return Reconciler.Received.ok(new SourceChange(UUID.randomUUID(), EventType.SOURCE_SYNC_JOB_COMPLETED, "t", "d", null, "{}"));
  }

  private static Reconciler.Received rejected() {
    return new Reconciler.Received(UUID.randomUUID(), null, "not a CloudEvent", null, null, null, "x");
  }
}
