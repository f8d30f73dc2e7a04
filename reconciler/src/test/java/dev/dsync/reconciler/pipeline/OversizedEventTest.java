package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/** A change whose identity event Kafka would refuse (test limit 20,000 bytes) is kept as failed; the directory goes on. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OversizedEventTest {

  @Inject Pool pool;

  @Test
  void a_change_whose_event_is_too_large_is_kept_in_failed_event_and_the_next_change_applies() {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      var big = Source.user("big", "big@x.test", "Big", "B", "big@x.test", true, null);
      big.put("title", "t".repeat(30_000));
      String reason = FailedChanges.pushedBeforeAGoodOne(pool, src, probe, big);
      assertThat(reason).contains("at most 20000");
    }
  }
}
