package dev.dsync.reconciler.identities;

import dev.dsync.reconciler.pipeline.ChangeApplier;
import dev.dsync.reconciler.pipeline.Reconciler;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Provider;
import java.time.Instant;

/** Deletes deactivated identities whose DEACTIVATE_THEN_DELETE grace period has ended. */
@ApplicationScoped
public class GraceSweeper {

  private final Provider<Reconciler> reconciler;
  private final ChangeApplier applier;

  public GraceSweeper(Provider<Reconciler> reconciler, ChangeApplier applier) {
    this.reconciler = reconciler;
    this.applier = applier;
  }

  /** Deletes up to 100 due identities, one transaction each (each locks its directory). */
  public Uni<Integer> sweep() {
    return Panache.withSession(
            () -> UserEntity.<UserEntity>find("deleteAfter < ?1 and deleted = false", Instant.now()).range(0, 99).list())
        .chain(
            due -> {
              Uni<Integer> chain = Uni.createFrom().item(0);
              for (UserEntity u : due) {
                chain = chain.chain(n -> reconciler.get().withDirectory(u.tenantId, u.directoryId, tx ->
                    tx.store.user(u.id).chain(fresh -> fresh == null || fresh.deleted || fresh.deleteAfter == null
                        || fresh.deleteAfter.isAfter(Instant.now())
                        ? Uni.createFrom().item(n)
                        : applier.hardDelete(tx, fresh).replaceWith(n + 1))));
              }
              return chain;
            });
  }
}
