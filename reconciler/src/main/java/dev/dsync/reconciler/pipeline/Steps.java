package dev.dsync.reconciler.pipeline;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.hibernate.FlushMode;

/**
 * Runs asynchronous steps one after another. A loop of {@code chain = chain.chain(...)} nests one
 * subscription per element: over thousands of elements whose steps complete synchronously (session
 * cache hits) the stack overflows on the event loop and the pipeline silently never completes.
 * Concatenation through a {@link Multi} keeps the stack flat.
 */
public final class Steps {

  private Steps() {}

  /** Applies {@code step} to each item in order, each after the previous one completed. */
  public static <T> Uni<Void> forEach(List<T> items, Function<T, Uni<?>> step) {
    if (items.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return Multi.createFrom().iterable(items).onItem().transformToUniAndConcatenate(step::apply).collect().last().replaceWithVoid();
  }

  /**
   * Runs statements that write rows no entity of the session reads (outbox, inbox) without the
   * full flush Hibernate does before every native statement: that flush dirty-checks every entity
   * the session holds, once per event, which made large transactions quadratic. Pending entity
   * changes are flushed later (next explicit flush or commit), in the same transaction.
   */
  public static <T> Uni<T> withoutAutoFlush(Supplier<Uni<T>> work) {
    return Panache.getSession()
        .chain(
            s -> {
              FlushMode previous = s.getFlushMode();
              s.setFlushMode(FlushMode.MANUAL);
              return work.get().eventually(() -> s.setFlushMode(previous));
            });
  }
}
