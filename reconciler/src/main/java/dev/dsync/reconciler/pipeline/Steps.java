package dev.dsync.reconciler.pipeline;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

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
   * Cuts {@code items} into consecutive runs (views of the list), for units of work of bounded size:
   * a run ends before an item that would take it past {@code maxWeight} (an item heavier than that
   * still goes, alone), after {@code maxCount} items, and after an item {@code endsRun} accepts.
   */
  public static <T> List<List<T>> runs(List<T> items, ToLongFunction<T> weight, int maxCount, long maxWeight, Predicate<T> endsRun) {
    List<List<T>> runs = new ArrayList<>();
    int from = 0;
    long sum = 0;
    for (int i = 0; i < items.size(); i++) {
      T item = items.get(i);
      long w = weight.applyAsLong(item);
      if (i > from && sum + w > maxWeight) {
        runs.add(items.subList(from, i));
        from = i;
        sum = 0;
      }
      sum += w;
      if (endsRun.test(item) || i + 1 - from >= maxCount || i == items.size() - 1) {
        runs.add(items.subList(from, i + 1));
        from = i + 1;
        sum = 0;
      }
    }
    return runs;
  }
}
