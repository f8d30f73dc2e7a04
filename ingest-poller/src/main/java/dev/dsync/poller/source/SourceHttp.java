package dev.dsync.poller.source;

import dev.dsync.poller.PollerConfig;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.MultiMap;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.HttpRequest;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import io.vertx.mutiny.ext.web.client.WebClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * HTTP to source APIs with the vendors' throttling rules: 429 with Retry-After (Graph, Okta, SCIM),
 * Google's 403 rateLimitExceeded/userRateLimitExceeded with exponential backoff and full jitter,
 * Okta's X-Rate-Limit-Remaining/Reset, transient 5xx and I/O errors retried with backoff, and a
 * per-connection request budget. Other statuses go back to the connector, which knows what they mean.
 */
@ApplicationScoped
public class SourceHttp {

  /** A request to send; the body is sent as-is with its content type. */
  public record Request(HttpMethod method, String url, Map<String, String> headers, String contentType, String body) {

    public static Request get(String url, Map<String, String> headers) {
      return new Request(HttpMethod.GET, url, headers, null, null);
    }

    public static Request form(String url, String body) {
      return new Request(HttpMethod.POST, url, Map.of(), "application/x-www-form-urlencoded", body);
    }
  }

  /** A response the connector interprets. */
  public record Response(int status, MultiMap headers, String body) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  private final WebClient client;
  private final PollerConfig.Http config;
  private final boolean allowPrivateTargets;
  private final Vertx vertx;
  private final Map<UUID, Budget> budgets = new ConcurrentHashMap<>();

  public SourceHttp(Vertx vertx, PollerConfig config) {
    this.config = config.http();
    this.allowPrivateTargets = config.allowPrivateTargets();
    this.vertx = vertx;
    this.client =
        WebClient.create(
            vertx,
            new WebClientOptions()
                .setUserAgent("dsync-ingest-poller")
                .setFollowRedirects(false)
                .setConnectTimeout((int) this.config.timeout().toMillis()));
  }

  @PreDestroy
  void close() {
    client.close();
  }

  /** Sends with retries; fails with {@link SourceException} UNAVAILABLE when attempts run out. */
  public Uni<Response> send(UUID connectionId, JobStats stats, Request request) {
    return guard(request.url()).chain(() -> attempt(connectionId, stats, request, 1));
  }

  /**
   * Refuses a URL whose host resolves to an internal address (unless allowed): every link a source
   * hands back (nextLink, Link headers) passes here too, not only the configured base URL.
   */
  Uni<Void> guard(String url) {
    if (allowPrivateTargets) {
      return Uni.createFrom().voidItem();
    }
    String host;
    try {
      host = java.net.URI.create(url).getHost();
    } catch (RuntimeException e) {
      host = null;
    }
    if (host == null) {
      return Uni.createFrom().failure(new SourceException(SourceException.Kind.REJECTED, "not a valid http(s) URL: " + url));
    }
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return vertx.executeBlocking(Uni.createFrom().item(() -> {
          try {
            return java.net.InetAddress.getAllByName(bare);
          } catch (java.net.UnknownHostException e) {
            throw SourceException.unavailable("host " + bare + " does not resolve");
          }
        }), false)
        .invoke(addresses -> {
          String reason = refusal(bare, addresses);
          if (reason != null) {
            throw new SourceException(SourceException.Kind.REJECTED, reason);
          }
        })
        .replaceWithVoid();
  }

  /** Why connecting to {@code host} at these addresses is refused, or null. */
  static String refusal(String host, java.net.InetAddress[] addresses) {
    for (java.net.InetAddress a : addresses) {
      String kind = dev.dsync.platform.net.InternalAddresses.reason(a);
      if (kind != null) {
        return "host " + host + " resolves to a " + kind + " address, which connections may not reach"
            + " (dsync.poller.allow-private-targets is off)";
      }
    }
    return null;
  }

  private Uni<Response> attempt(UUID connectionId, JobStats stats, Request request, int attempt) {
    Budget budget = budgets.computeIfAbsent(connectionId, k -> new Budget());
    Duration wait = budget.reserve(config.requestsPerSecond());
    return delay(wait)
        .chain(() -> once(request))
        .onItemOrFailure()
        .transformToUni(
            (raw, failure) -> {
              stats.inc("requests");
              if (failure != null) {
                // Connection refused, reset or timed out: as transient as a 503.
                stats.inc("retries");
                if (attempt >= config.maxAttempts()) {
                  return Uni.createFrom().failure(SourceException.unavailable(
                      hostOf(request.url()) + " unreachable after " + attempt + " attempts (" + failure.getClass().getSimpleName() + ")"));
                }
                return delay(backoff(attempt)).chain(() -> attempt(connectionId, stats, request, attempt + 1));
              }
              Response r = new Response(raw.statusCode(), raw.headers(), raw.bodyAsString());
              oktaRemaining(budget, r);
              Duration retryIn = retryDelay(r, attempt);
              if (retryIn == null) {
                return Uni.createFrom().item(r);
              }
              stats.inc(r.status() == 429 || r.status() == 403 ? "throttled" : "retries");
              if (attempt >= config.maxAttempts()) {
                return Uni.createFrom().failure(SourceException.unavailable(
                    hostOf(request.url()) + " answered " + r.status() + " after " + attempt + " attempts"));
              }
              Log.debugf("connection %s: %s answered %d, retrying in %d ms", connectionId, hostOf(request.url()), r.status(), retryIn.toMillis());
              return delay(retryIn).chain(() -> attempt(connectionId, stats, request, attempt + 1));
            });
  }

  private Uni<HttpResponse<Buffer>> once(Request request) {
    HttpRequest<Buffer> req = client.requestAbs(request.method(), request.url()).timeout(config.timeout().toMillis());
    request.headers().forEach(req::putHeader);
    if (request.body() == null) {
      return req.send();
    }
    req.putHeader("Content-Type", request.contentType());
    return req.sendBuffer(Buffer.buffer(request.body()));
  }

  /** How long to wait before retrying this response, or null if it is final. */
  Duration retryDelay(Response r, int attempt) {
    int s = r.status();
    if (s == 429) {
      Duration after = retryAfter(r);
      if (after == null) {
        after = oktaReset(r);
      }
      return clamp(after == null ? backoff(attempt) : after);
    }
    if (s == 403 && r.body() != null && (r.body().contains("userRateLimitExceeded") || r.body().contains("\"rateLimitExceeded\""))) {
      // Google: exponential backoff with jitter; it sends no Retry-After.
      return backoff(attempt);
    }
    if (s == 500 || s == 502 || s == 503 || s == 504) {
      Duration after = retryAfter(r);
      return clamp(after == null ? backoff(attempt) : after);
    }
    return null;
  }

  /** Full jitter: uniform in [0, min(max, base * 2^(attempt-1))], never below 10 ms. */
  Duration backoff(int attempt) {
    long cap = Math.min(config.backoffMax().toMillis(), config.backoffBase().toMillis() << Math.min(attempt - 1, 20));
    return Duration.ofMillis(Math.max(10, ThreadLocalRandom.current().nextLong(cap + 1)));
  }

  private Duration clamp(Duration d) {
    return d.compareTo(config.backoffMax()) > 0 ? config.backoffMax() : d.isNegative() ? Duration.ZERO : d;
  }

  static Duration retryAfter(Response r) {
    String v = r.header("Retry-After");
    if (v == null || v.isBlank()) {
      return null;
    }
    try {
      return Duration.ofSeconds(Long.parseLong(v.trim()));
    } catch (NumberFormatException e) {
      try {
        return Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME));
      } catch (RuntimeException bad) {
        return null;
      }
    }
  }

  static Duration oktaReset(Response r) {
    String reset = r.header("X-Rate-Limit-Reset");
    if (reset == null) {
      return null;
    }
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(reset.trim()) - System.currentTimeMillis() / 1000));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Okta tells how many calls remain in the window: at zero, hold this connection until the reset. */
  private void oktaRemaining(Budget budget, Response r) {
    String remaining = r.header("X-Rate-Limit-Remaining");
    if ("0".equals(remaining == null ? null : remaining.trim())) {
      Duration reset = oktaReset(r);
      if (reset != null) {
        budget.holdFor(clamp(reset));
      }
    }
  }

  private static Uni<Void> delay(Duration d) {
    if (d.isZero() || d.isNegative()) {
      return Uni.createFrom().voidItem();
    }
    return Uni.createFrom().voidItem().onItem().delayIt().by(d);
  }

  private static String hostOf(String url) {
    try {
      return java.net.URI.create(url).getHost();
    } catch (RuntimeException e) {
      return "source";
    }
  }

  /** Spaces one connection's requests so it never exceeds its rate. */
  static final class Budget {
    private long nextNanos = System.nanoTime();

    synchronized Duration reserve(int perSecond) {
      long now = System.nanoTime();
      long start = Math.max(now, nextNanos);
      nextNanos = start + 1_000_000_000L / Math.max(1, perSecond);
      return Duration.ofNanos(start - now);
    }

    synchronized void holdFor(Duration d) {
      nextNanos = Math.max(nextNanos, System.nanoTime() + d.toNanos());
    }
  }
}
