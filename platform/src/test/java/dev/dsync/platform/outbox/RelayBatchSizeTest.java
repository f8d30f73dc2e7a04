package dev.dsync.platform.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RelayBatchSizeTest {

  @Test
  void every_loops_batch_in_flight_fits_half_the_emitter_buffer() {
    assertThat(OutboxRelay.batchSize(500, 4)).isEqualTo(500);
    assertThat(OutboxRelay.batchSize(2000, 4)).isEqualTo(OutboxRelay.MAX_IN_FLIGHT / 8);
    assertThat(OutboxRelay.batchSize(500, 16)).isEqualTo(OutboxRelay.MAX_IN_FLIGHT / 32);
    // A claim's first row is taken whatever its size: a whole batch row still fits a loop's share.
    assertThat(Outbox.BATCH_MAX_EVENTS).isLessThanOrEqualTo(OutboxRelay.MAX_IN_FLIGHT / 2 / Outbox.BUCKETS);
    assertThat(OutboxRelay.batchSize(0, 4)).isEqualTo(1);
  }

  @Test
  void a_claim_is_full_when_rows_may_be_left_behind_it_by_events_or_by_bytes() {
    long largestRow = 1_000_000 + Outbox.BATCH_MAX_BYTES;
    long limit = 16L * 1024 * 1024;
    assertThat(OutboxRelay.full(new OutboxRelay.Claimed(0, 0), 1000, limit, largestRow)).isFalse();
    assertThat(OutboxRelay.full(new OutboxRelay.Claimed(40, 30_000), 1000, limit, largestRow)).as("took all there was").isFalse();
    assertThat(OutboxRelay.full(new OutboxRelay.Claimed(1000 - Outbox.BATCH_MAX_EVENTS + 1, 30_000), 1000, limit, largestRow))
        .as("a batch row of up to 256 events may not have fit").isTrue();
    assertThat(OutboxRelay.full(new OutboxRelay.Claimed(20, limit - largestRow + 1), 1000, limit, largestRow))
        .as("the largest row may not have fit the bytes left").isTrue();
    assertThat(OutboxRelay.full(new OutboxRelay.Claimed(20, limit - largestRow), 1000, limit, largestRow)).isFalse();
  }
}
