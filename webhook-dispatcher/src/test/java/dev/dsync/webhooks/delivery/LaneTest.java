package dev.dsync.webhooks.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A lane's depth follows its endpoint's answers; hand-offs never jump a backlog. */
class LaneTest {

  private static final long SECOND = 1_000_000_000L;
  // The defaults: 16 in flight, request timeout 15 s, lease margin 30 s (budget 15 + 15 s).
  private static final int CONCURRENCY = 16;
  private static final int MAX_QUEUE = 200;
  private static final long BUDGET = 30 * SECOND;
  private static final long TIMEOUT = 15 * SECOND;

  private static Lane lane() {
    return new Lane(CONCURRENCY, MAX_QUEUE, BUDGET, TIMEOUT);
  }

  private static Claimed job() {
    return new Claimed(UUID.randomUUID(), UUID.randomUUID(), "t", UUID.randomUUID(), UUID.randomUUID(), 0, 0, "dsync.user.created",
        "{}", Instant.now(), "https://example.com/hook", new byte[32], null, null, null, null, System.nanoTime() + BUDGET);
  }

  /** Fills the lane's slots with attempts and lets them all answer after {@code nanos}, several rounds. */
  private static void answers(Lane lane, long nanos, int rounds) {
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < CONCURRENCY; i++) {
        assertThat(lane.enter(job())).isTrue();
      }
      for (int i = 0; i < CONCURRENCY; i++) {
        assertThat(lane.leave(nanos)).isNull();
      }
    }
  }

  @Test
  void an_unknown_endpoint_gets_one_round_waiting() {
    Lane lane = lane();
    assertThat(lane.queueLimit()).isEqualTo(CONCURRENCY);
    assertThat(lane.room()).isEqualTo(2 * CONCURRENCY);
  }

  @Test
  void a_fast_endpoint_gets_a_deep_queue_and_a_slow_one_a_shallow_one() {
    Lane fast = lane();
    answers(fast, 5_000_000L, 30); // 5 ms
    assertThat(fast.queueLimit()).isEqualTo(MAX_QUEUE);
    assertThat(fast.room()).isEqualTo(CONCURRENCY + MAX_QUEUE);

    Lane slow = lane();
    answers(slow, 10 * SECOND, 30);
    // Two waiting rounds at most would drain in 20 s: more than half the budget. One and a half do.
    assertThat(slow.queueLimit()).isBetween(CONCURRENCY, 2 * CONCURRENCY - 1);

    answers(fast, TIMEOUT, 30); // the fast one turns slow: its queue shrinks back
    assertThat(fast.queueLimit()).isEqualTo(CONCURRENCY);
  }

  @Test
  void a_hand_off_waits_behind_a_backlog_until_a_claim_drains_it() {
    Lane lane = lane();
    assertThat(lane.reserve()).isTrue();
    assertThat(lane.room()).as("a reservation takes room").isEqualTo(2 * CONCURRENCY - 1);
    lane.unreserve();

    for (int i = 0; i < 2 * CONCURRENCY; i++) {
      lane.enter(job());
    }
    assertThat(lane.room()).isZero();
    assertThat(lane.reserve()).as("full").isFalse();
    assertThat(lane.backlog()).as("what did not fit waits in the table").isTrue();

    for (int i = 0; i < CONCURRENCY; i++) {
      lane.leave(TIMEOUT);
    }
    assertThat(lane.room()).isPositive();
    assertThat(lane.reserve()).as("older deliveries go first").isFalse();
    assertThat(lane.wantsMore()).as("room for half the lane and a backlog: worth a claim").isTrue();

    lane.claimed(lane.room(), lane.room(), false); // the claim filled the room: there may be more
    assertThat(lane.backlog()).isTrue();
    lane.claimed(16, 3, true); // the claim stopped at its own limit first: there may still be more
    assertThat(lane.backlog()).isTrue();
    lane.claimed(16, 3, false); // the claim found less than it had room for: the table is drained
    assertThat(lane.backlog()).isFalse();
    assertThat(lane.wantsMore()).isFalse();
    assertThat(lane.reserve()).isTrue();
  }

  @Test
  void slots_pass_to_waiting_deliveries_whether_or_not_they_are_attempted() {
    Lane lane = new Lane(1, 1, BUDGET, TIMEOUT);
    Claimed first = job();
    Claimed second = job();
    Claimed third = job();
    assertThat(lane.enter(first)).isTrue();
    assertThat(lane.enter(second)).isFalse();
    assertThat(lane.leave(SECOND)).isSameAs(second);
    assertThat(lane.enter(third)).isFalse();
    assertThat(lane.skip()).as("second lapsed: third takes its slot").isSameAs(third);
    assertThat(lane.skip()).isNull();
    assertThat(lane.room()).isEqualTo(2);
    assertThat(lane.reserve()).isTrue();
    assertThat(lane.enterReserved(job())).isTrue();
    assertThat(lane.room()).isEqualTo(1);
  }
}
