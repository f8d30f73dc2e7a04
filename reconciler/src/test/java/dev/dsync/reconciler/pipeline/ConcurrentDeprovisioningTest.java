package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.Actor;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.source.UserDeleted;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two directories feed one identity and both drop it at the same moment: each transaction sees the
 * other directory's link still in scope. The identity must still be deprovisioned once both are
 * committed, not left active with no directory feeding it.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class ConcurrentDeprovisioningTest {

  @Inject Reconciler reconciler;
  @Inject ChangeApplier applier;
  @Inject Pool pool;

  @Test
  void two_directories_dropping_one_identity_at_once_deactivate_it() throws Throwable {
    String tenant = Tokens.newTenant();
    try (Source hr = Source.newDirectory(tenant); Source it = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      hr.upsertUser(Source.user("h1", "kim@corp.test", "Kim", "Lee", "kim@corp.test", true, null), 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(hr.directory).size() == 1);
      UUID id = UUID.fromString(probe.events(hr.directory).get(0).data().path("user").path("id").asText());
      it.upsertUser(Source.user("i1", "kim.lee@corp.test", "Kim", "Lee", "kim@corp.test", true, null), 1, null); // linked by email
      await().atMost(Duration.ofSeconds(30)).until(() -> linksInScope(id) == 2);

      // HR's deletion is applied up to its commit and held there; IT's deletion runs and commits
      // meanwhile. Each saw the other's link in scope.
      CompletableFuture<Void> hrApplied = new CompletableFuture<>();
      CompletableFuture<Void> release = new CompletableFuture<>();
      CompletableFuture<Outcome> hrDone = reconciler.withDirectory(tenant, hr.directory, tx -> applier.apply(tx, deleted(tenant, hr.directory, "h1"))
              .call(() -> {
                hrApplied.complete(null);
                return Uni.createFrom().completionStage(release);
              }))
          .subscribeAsCompletionStage();
      hrApplied.get(20, TimeUnit.SECONDS);
      // With a timeout: were HR's user write ever sent before its hold, IT would wait for its lock.
      reconciler.withDirectory(tenant, it.directory, tx -> applier.apply(tx, deleted(tenant, it.directory, "i1")))
          .subscribeAsCompletionStage().get(20, TimeUnit.SECONDS);
      release.complete(null);
      hrDone.get(20, TimeUnit.SECONDS);

      assertThat(linksInScope(id)).isZero();
      String state = VertxContextSupport.subscribeAndAwait(() -> pool.preparedQuery("select state from canonical_user where id = $1")
          .execute(Tuple.of(id)).map(rows -> rows.iterator().next().getString(0)));
      assertThat(state).as("no directory feeds the identity any more: the default policy deactivates it").isEqualTo("INACTIVE");
    }
  }

  private static SourceChange deleted(String tenant, String directory, String resourceId) {
    UserDeleted d = new UserDeleted(resourceId, null, 10, Instant.now(), new Actor(Actor.Kind.SCIM_TOKEN, "test-token", null), null);
    return SourceChange.of(UUID.randomUUID(), EventType.SOURCE_USER_DELETED.type(), tenant, directory, EventJson.write(d));
  }

  private long linksInScope(UUID id) {
    try {
      return VertxContextSupport.subscribeAndAwait(() -> pool.preparedQuery("select count(*) from source_link where entity_id = $1 and in_scope")
          .execute(Tuple.of(id)).map(rows -> rows.iterator().next().getLong(0)));
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }
}
