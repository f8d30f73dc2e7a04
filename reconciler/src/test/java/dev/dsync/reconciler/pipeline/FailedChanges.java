package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;
import java.util.UUID;

/** A change that can never apply is kept in failed_event, and the directory goes on. */
final class FailedChanges {

  private FailedChanges() {}

  /**
   * Pushes {@code bad}, then a good user; asserts that only the good one is published, and answers
   * the reason {@code bad} was kept as failed.
   */
  static String pushedBeforeAGoodOne(Pool pool, Source src, IdentityProbe probe, ObjectNode bad) {
    UUID badEvent = src.upsertUser(bad, null);
    src.upsertUser(Source.user("next", "next@x.test", "Next", "N", "next@x.test", true, null), null);

    await().atMost(Duration.ofSeconds(30)).until(() -> !probe.events(src.directory).isEmpty());
    assertThat(probe.events(src.directory)).singleElement()
        .satisfies(e -> assertThat(e.data().path("user").path("userName").asText()).isEqualTo("next@x.test"));
    return reason(pool, badEvent);
  }

  /** Why the change with {@code eventId} was kept in failed_event. */
  static String reason(Pool pool, UUID eventId) {
    return pool.preparedQuery("select reason from failed_event where event_id = $1").execute(Tuple.of(eventId))
        .await().atMost(Duration.ofSeconds(5)).iterator().next().getString(0);
  }
}
