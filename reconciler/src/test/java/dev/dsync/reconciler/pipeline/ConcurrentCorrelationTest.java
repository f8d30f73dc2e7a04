package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.reconciler.Tokens;
import dev.dsync.reconciler.identities.UserEntity;
import dev.dsync.reconciler.matching.MatchKey;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import jakarta.inject.Inject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two directories of a tenant correlating the same new person at once: the second reads its
 * candidates only once the first, which found none and created the identity, has committed, and so
 * finds that identity instead of creating a second one.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class ConcurrentCorrelationTest {

  @Inject Pool pool;

  @Test
  void a_candidate_read_waits_for_the_tenant_transaction_that_is_creating_an_identity_and_then_finds_it() throws Throwable {
    String tenant = Tokens.newTenant();
    String email = UUID.randomUUID() + "@x.test";
    inTwoTransactions((first, firstTx, second) -> {
      Store creating = new Store(first);
      List<UUID> none = await(creating.candidates(tenant, "dir-okta", MatchKey.PRIMARY_EMAIL, email));
      assertThat(none).isEmpty();
      UserEntity created = user(tenant, "dir-okta", email);
      creating.insert(created);
      await(creating.flush());

      CompletableFuture<List<UUID>> found = new Store(second).candidates(tenant, "dir-entra", MatchKey.PRIMARY_EMAIL, email)
          .subscribeAsCompletionStage();
      Thread.sleep(700);
      assertThat(found).as("the second directory's candidate read waits while the first may still create").isNotDone();

      await(firstTx.commit());
      assertThat(found.get(10, TimeUnit.SECONDS)).containsExactly(created.id);
    });
  }

  @Test
  void another_tenant_correlates_meanwhile() throws Throwable {
    String tenant = Tokens.newTenant();
    String other = Tokens.newTenant();
    String email = UUID.randomUUID() + "@x.test";
    inTwoTransactions((first, firstTx, second) -> {
      assertThat(await(new Store(first).candidates(tenant, "dir-a", MatchKey.PRIMARY_EMAIL, email))).isEmpty();
      CompletableFuture<List<UUID>> found = new Store(second).candidates(other, "dir-b", MatchKey.PRIMARY_EMAIL, email)
          .subscribeAsCompletionStage();
      assertThat(found.get(5, TimeUnit.SECONDS)).isEmpty();
    });
  }

  /** What two transactions do side by side; the first's may be committed, anything left open is rolled back. */
  private interface SideBySide {
    void run(SqlConnection first, Transaction firstTx, SqlConnection second) throws Throwable;
  }

  private void inTwoTransactions(SideBySide work) throws Throwable {
    SqlConnection first = await(pool.getConnection());
    SqlConnection second = await(pool.getConnection());
    try {
      Transaction firstTx = await(first.begin());
      await(second.begin());
      work.run(first, firstTx, second);
    } finally {
      await(first.close()); // closing rolls back what is still open
      await(second.close());
    }
  }

  @Test
  void a_transaction_holding_two_tenants_reads_each_tenants_candidates_under_its_own_lock() throws Throwable {
    String first = Tokens.newTenant();
    String second = Tokens.newTenant();
    String employee = UUID.randomUUID().toString();
    UserEntity existing = user(second, "dir-q", employee + "@x.test");
    existing.employeeNumber = employee;
    await(pool.withTransaction(conn -> {
      Store s = new Store(conn);
      s.insert(existing);
      return s.flush();
    }));

    // One consumer transaction, two tenants' directories, one value: the first tenant has no
    // identity with it, the second has one.
    long[] locks = await(pool.withTransaction(conn -> {
      Store store = new Store(conn);
      return store.candidates(first, "dir-p", MatchKey.EMPLOYEE_NUMBER, employee)
          .invoke(ids -> assertThat(ids).isEmpty())
          .chain(() -> store.candidates(second, "dir-q2", MatchKey.EMPLOYEE_NUMBER, employee))
          .invoke(ids -> assertThat(ids).containsExactly(existing.id))
          .chain(() -> conn.query("select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()").execute())
          .map(rows -> new long[] {rows.iterator().next().getLong(0)});
    }));
    assertThat(locks[0]).as("one correlation lock per tenant").isEqualTo(2L);
  }

  private static UserEntity user(String tenant, String directory, String email) {
    UserEntity u = new UserEntity();
    u.id = UUID.randomUUID();
    u.tenantId = tenant;
    u.directoryId = directory;
    u.userName = email;
    u.primaryEmail = email;
    u.state = "ACTIVE";
    u.attributes = "{}";
    u.provenance = "{}";
    return u;
  }

  private static <T> T await(Uni<T> uni) throws Throwable {
    return VertxContextSupport.subscribeAndAwait(() -> uni);
  }
}
