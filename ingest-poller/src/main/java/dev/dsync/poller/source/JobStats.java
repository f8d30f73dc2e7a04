package dev.dsync.poller.source;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of one job run that connectors and the HTTP layer add to (requests, throttling, retries). */
public final class JobStats {

  private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();

  public void add(String name, long delta) {
    counters.computeIfAbsent(name, k -> new AtomicLong()).addAndGet(delta);
  }

  public void inc(String name) {
    add(name, 1);
  }

  /** Takes the counts gathered since the last drain, leaving zeros. */
  public Map<String, Long> drain() {
    Map<String, Long> out = new TreeMap<>();
    counters.forEach((k, v) -> {
      long n = v.getAndSet(0);
      if (n != 0) {
        out.put(k, n);
      }
    });
    return out;
  }
}
