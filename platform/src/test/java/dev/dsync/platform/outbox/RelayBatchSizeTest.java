package dev.dsync.platform.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RelayBatchSizeTest {

  @Test
  void every_loops_batch_in_flight_fits_half_the_emitter_buffer() {
    int overshoot = Outbox.BATCH_MAX_EVENTS - 1;
    assertThat(OutboxRelay.batchSize(500, 4)).isEqualTo(500);
    assertThat(OutboxRelay.batchSize(2000, 4)).isEqualTo(OutboxRelay.EMITTER_BUFFER / 8 - overshoot);
    assertThat(OutboxRelay.batchSize(2000, 4) + overshoot).isLessThanOrEqualTo(OutboxRelay.EMITTER_BUFFER / 2 / 4);
    assertThat(OutboxRelay.batchSize(500, 16)).isEqualTo(1);
    assertThat(OutboxRelay.batchSize(0, 4)).isEqualTo(1);
  }
}
