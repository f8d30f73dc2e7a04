package dev.dsync.audit.background;

import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.Supplier;

/**
 * Runs background work (timers, tests) on a fresh, safe duplicated Vert.x context: Hibernate
 * Reactive sessions must live on such a context, and a timer callback or a test thread has none.
 */
@ApplicationScoped
public class BackgroundContext {

  private final Vertx vertx;

  public BackgroundContext(Vertx vertx) {
    this.vertx = vertx;
  }

  public <T> Uni<T> run(Supplier<Uni<T>> work) {
    return Uni.createFrom()
        .emitter(
            emitter -> {
              Context context = VertxContext.createNewDuplicatedContext(vertx.getDelegate().getOrCreateContext());
              VertxContextSafetyToggle.setContextSafe(context, true);
              context.runOnContext(
                  ignored -> {
                    try {
                      work.get().subscribe().with(emitter::complete, emitter::fail);
                    } catch (RuntimeException e) {
                      emitter.fail(e);
                    }
                  });
            });
  }
}
