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
}
