package dev.dsync.reconciler.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ApplyingJobsTest {

  @Test
  void statistics_are_refreshed_as_a_job_doubles_from_16_pages() {
    assertThat(IntStream.rangeClosed(1, 300).filter(ApplyingJobs::refreshStatisticsAfter).boxed().toList())
        .containsExactly(16, 32, 64, 128, 256);
  }
}
