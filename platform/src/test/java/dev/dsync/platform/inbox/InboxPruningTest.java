package dev.dsync.platform.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.platform.ManualRelayProfile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(ManualRelayProfile.class)
@QuarkusTestResource(DevstackTestResource.class)
class InboxPruningTest {

  @Inject Pool pool;
  @Inject Inbox inbox;
  @Inject InboxPruner pruner;

  @Test
  void ids_older_than_the_retention_are_forgotten_and_recent_ones_still_deduplicate() {
    String consumer = "pruning-" + UUID.randomUUID();
    UUID recent = UUID.randomUUID();
    inbox.firstDeliveries(pool, consumer, List.of(recent)).await().indefinitely();
    // More old ids than one delete takes, consumed 15 days ago (the default retention is 14).
    int old = InboxPruner.BATCH + 5;
    pool.preparedQuery("insert into processed_event (consumer, event_id, processed_at)"
            + " select $1, gen_random_uuid(), now() - interval '15 days' from generate_series(1, $2)")
        .execute(Tuple.of(consumer, old)).await().indefinitely();

    long removed = pruner.prune().await().indefinitely();

    assertThat(removed).isGreaterThanOrEqualTo(old);
    assertThat(count(consumer)).isEqualTo(1);
    Set<UUID> again = inbox.firstDeliveries(pool, consumer, List.of(recent)).await().indefinitely();
    assertThat(again).as("a recent id is still known: its redelivery has no second effect").isEmpty();
  }

  private long count(String consumer) {
    return pool.preparedQuery("select count(*) from processed_event where consumer = $1")
        .execute(Tuple.of(consumer)).await().indefinitely().iterator().next().getLong(0);
  }
}
