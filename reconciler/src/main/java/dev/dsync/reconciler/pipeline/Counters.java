package dev.dsync.reconciler.pipeline;

import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/** Counts of outcomes of one job (or one batch), plus nested-group cycles found. */
public final class Counters {

  private final EnumMap<Outcome, Long> counts = new EnumMap<>(Outcome.class);
  private long cycles;

  public void add(Outcome o) {
    counts.merge(o, 1L, Long::sum);
  }

  public void cycle() {
    cycles++;
  }

  public long get(Outcome o) {
    return counts.getOrDefault(o, 0L);
  }

  /** As the API and job history show them. */
  public Map<String, Long> toMap() {
    Map<String, Long> m = new TreeMap<>();
    m.put("created", get(Outcome.CREATED));
    m.put("updated", get(Outcome.UPDATED));
    m.put("deleted", get(Outcome.DELETED));
    m.put("unchanged", get(Outcome.UNCHANGED));
    m.put("skippedByFilter", get(Outcome.SKIPPED_BY_FILTER));
    m.put("stale", get(Outcome.STALE));
    m.put("disputed", get(Outcome.DISPUTED));
    m.put("failed", get(Outcome.FAILED));
    m.put("cycles", cycles);
    return m;
  }
}
