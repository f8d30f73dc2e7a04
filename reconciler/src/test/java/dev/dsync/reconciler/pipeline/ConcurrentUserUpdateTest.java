package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.reconciler.Tokens;
import dev.dsync.reconciler.identities.UserEntity;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * One user fed by several directories is written by several transactions: one that writes a user
 * another changed since it read it fails instead of undoing that change, and runs again.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class ConcurrentUserUpdateTest {

  @Inject Pool pool;
  @Inject Reconciler reconciler;

  @Test
  void a_write_over_a_user_changed_since_it_was_read_fails_and_the_other_change_stays() throws Throwable {
    String tenant = Tokens.newTenant();
    UUID id = seed(tenant, "dir-a");

    assertThatThrownBy(() -> await(pool.withTransaction(a -> {
          Store mine = new Store(a);
          return mine.user(id).chain(read -> write(id, "{\"by\":\"other\"}")
              .chain(() -> {
                read.attributes = "{\"by\":\"mine\"}";
                mine.save(read);
                return mine.flush();
              }));
        })))
        .isInstanceOf(ConcurrentUpdateException.class);

    assertStored(id, "{\"by\":\"other\"}", 1);
  }

  @Test
  void a_transaction_writes_its_own_user_again_without_conflict() throws Throwable {
    String tenant = Tokens.newTenant();
    UUID id = seed(tenant, "dir-a");

    await(pool.withTransaction(a -> {
      Store mine = new Store(a);
      return mine.user(id).chain(u -> {
        u.attributes = "{\"n\":1}";
        mine.save(u);
        return mine.flush().chain(() -> {
          u.attributes = "{\"n\":2}";
          mine.save(u);
          return mine.flush();
        });
      });
    }));

    assertStored(id, "{\"n\":2}", 2);
  }

  @Test
  void a_directory_transaction_that_met_a_concurrent_update_runs_again_on_the_row_as_it_is_now() throws Throwable {
    String tenant = Tokens.newTenant();
    UUID id = seed(tenant, "dir-a");
    AtomicInteger runs = new AtomicInteger();

    await(reconciler.withDirectory(tenant, "dir-b-" + UUID.randomUUID(), tx -> tx.store.user(id).chain(u -> {
      // Another directory's transaction changes the user after this one read it, the first time only.
      Uni<Void> meanwhile = runs.incrementAndGet() == 1 ? write(id, "{\"first\":\"other\"}") : Uni.createFrom().voidItem();
      return meanwhile.invoke(() -> {
        u.attributes = u.attributes.substring(0, u.attributes.length() - 1) + (u.attributes.length() > 2 ? "," : "") + "\"second\":\"mine\"}";
        tx.store.save(u);
      });
    })));

    assertThat(runs.get()).isEqualTo(2);
    assertStored(id, "{\"first\":\"other\",\"second\":\"mine\"}", 2);
  }

  @Test
  void what_a_directory_transaction_runs_again_for() {
    assertThat(Reconciler.concurrent(new ConcurrentUpdateException("a user changed"))).isTrue();
    assertThat(Reconciler.concurrent(new io.vertx.pgclient.PgException("deadlock detected", "ERROR", "40P01", null))).isTrue();
    assertThat(Reconciler.concurrent(new io.vertx.pgclient.PgException("could not serialize", "ERROR", "40001", null))).isTrue();
    assertThat(Reconciler.concurrent(new io.vertx.pgclient.PgException("dup", "ERROR", "23505", null))).isFalse();
    assertThat(Reconciler.concurrent(new IllegalStateException("other"))).isFalse();
    assertThat(Reconciler.poison(new ConcurrentUpdateException("a user changed"))).isFalse();
  }

  /** Another transaction, committed: reads the user and writes {@code attributes}. */
  private Uni<Void> write(UUID id, String attributes) {
    return pool.withTransaction(b -> {
      Store other = new Store(b);
      return other.user(id).chain(u -> {
        u.attributes = attributes;
        other.save(u);
        return other.flush();
      });
    });
  }

  private UUID seed(String tenant, String directory) throws Throwable {
    UserEntity u = new UserEntity();
    u.id = UUID.randomUUID();
    u.tenantId = tenant;
    u.directoryId = directory;
    u.userName = u.id + "@x.test";
    u.state = "ACTIVE";
    u.attributes = "{}";
    u.provenance = "{}";
    await(pool.withTransaction(conn -> {
      Store s = new Store(conn);
      s.insert(u);
      return s.flush();
    }));
    return u.id;
  }

  private void assertStored(UUID id, String attributes, long version) throws Throwable {
    Row row = await(pool.preparedQuery("select attributes, row_version from canonical_user where id = $1").execute(Tuple.of(id)))
        .iterator().next();
    assertThat(row.getString("attributes")).isEqualTo(attributes);
    assertThat(row.getLong("row_version")).isEqualTo(version);
  }

  private static <T> T await(Uni<T> uni) throws Throwable {
    return VertxContextSupport.subscribeAndAwait(() -> uni);
  }
}
