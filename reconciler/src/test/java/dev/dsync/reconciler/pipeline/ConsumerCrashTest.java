package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class ConsumerCrashTest {

  @Inject CrashingConsumerCheckpoint crash;
  @Inject SourceChangesConsumer consumer;

  @Test
  void a_crash_between_db_commit_and_offset_commit_loses_nothing_and_duplicates_nothing() {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      crash.arm();
      for (int i = 0; i < 5; i++) {
        src.upsertUser(Source.user("c" + i, "c" + i + "@x.test", "C", "" + i, "c" + i + "@x.test", true, null), 1, null);
      }
      // The first batch committed its effects and events, then the consumer died before committing offsets.
      await().atMost(Duration.ofSeconds(30)).until(() -> !crash.crashedWith().isEmpty() && !consumer.running());
      int appliedBeforeCrash = crash.crashedWith().size();
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= appliedBeforeCrash);

      // Restart: the uncommitted batch is delivered again, the inbox skips it, the rest is applied once.
      consumer.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 5);
      src.upsertUser(Source.user("c9", "c9@x.test", "C", "9", "c9@x.test", true, null), 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 6);
      assertThat(probe.events(src.directory)).hasSize(6);
      assertThat(probe.events(src.directory).stream().map(e -> e.data().path("user").path("userName").asText()).collect(Collectors.toSet()))
          .hasSize(6);
      assertThat(probe.events(src.directory).stream().map(IdentityProbe.Seen::sequence).toList()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }
  }
}
