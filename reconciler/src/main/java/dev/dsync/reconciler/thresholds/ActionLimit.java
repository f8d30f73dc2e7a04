package dev.dsync.reconciler.thresholds;

/** A limit on one action: at most {@code rows}, or {@code percent} of the managed population, whichever is larger. */
public record ActionLimit(Integer rows, Double percent) {

  public ActionLimit {
    rows = rows == null ? 100 : rows;
    percent = percent == null ? 5.0 : percent;
  }

  public static ActionLimit defaults() {
    return new ActionLimit(null, null);
  }

  /** The largest count allowed for a directory of {@code population} managed entities. */
  public long allowed(long population) {
    return Math.max(rows, (long) Math.floor(population * percent / 100.0));
  }
}
