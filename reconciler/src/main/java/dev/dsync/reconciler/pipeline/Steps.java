package dev.dsync.reconciler.pipeline;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.function.Function;

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
}
