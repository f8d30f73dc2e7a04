package dev.dsync.scim.auth;

import dev.dsync.scim.ScimConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per directory (per replica): a burst of one second's allowance, refilled
 * continuously. One noisy IdP cannot starve the other tenants' directories.
 */
@ApplicationScoped
public class RateLimiter {

  private static final class Bucket {
    double tokens;
    long refilledAt;
  }

  private final ScimConfig config;
  private final Map<UUID, Bucket> buckets = new ConcurrentHashMap<>();

  public RateLimiter(ScimConfig config) {
    this.config = config;
  }

  /** 0 if the request may proceed, otherwise the seconds to wait (for Retry-After). */
  public long acquire(UUID directoryId) {
    double rate = config.rateLimitPerSecond();
    Bucket b = buckets.computeIfAbsent(directoryId, id -> {
      Bucket nb = new Bucket();
      nb.tokens = rate;
      nb.refilledAt = System.nanoTime();
      return nb;
    });
    synchronized (b) {
      long now = System.nanoTime();
      b.tokens = Math.min(rate, b.tokens + (now - b.refilledAt) / 1e9 * rate);
      b.refilledAt = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, (long) Math.ceil((1 - b.tokens) / rate));
    }
  }
}
