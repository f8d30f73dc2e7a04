package dev.dsync.webhooks.security;

import dev.dsync.platform.net.InternalAddresses;
import dev.dsync.webhooks.config.WebhooksConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Decides whether dsync may call a URL: http(s) only (https in production), and no host that
 * resolves to a private, loopback, link-local, metadata or otherwise internal address unless
 * {@code dsync.webhooks.allow-private-targets} is set. Checked when an endpoint is saved and again
 * for deliveries, which connect to the very address that was checked (no DNS rebinding window:
 * what a name resolves to later does not matter to a connection made to a checked address).
 * Deliveries reuse a host's checked address for {@code dsync.webhooks.address-check-ttl}, so an
 * endpoint receiving thousands of webhooks a second costs no lookup (and no hop to a worker
 * thread) per attempt; after that the host is resolved and checked again.
 */
@ApplicationScoped
public class UrlGuard {

  /** Why a URL is refused, phrased for the API client. */
  public static class Refused extends RuntimeException {
    public Refused(String reason) {
      super(reason, null, false, false);
    }
  }

  private static final java.util.regex.Pattern IP_LITERAL =
      java.util.regex.Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  /** Resolves a host name to all its addresses (blocking). */
  @FunctionalInterface
  interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private record Checked(InetAddress address, long until) {}

  /** Hosts remembered at most; more are rare (one per endpoint host) and simply start over. */
  private static final int MAX_CHECKED = 10_000;

  private final WebhooksConfig config;
  private final Vertx vertx;
  private final Resolver resolver;
  private final LongSupplier nanoClock;
  private final Map<String, Checked> checked = new ConcurrentHashMap<>();

  @Inject
  public UrlGuard(WebhooksConfig config, Vertx vertx) {
    this(config, vertx, InetAddress::getAllByName, System::nanoTime);
  }

  UrlGuard(WebhooksConfig config, Vertx vertx, Resolver resolver, LongSupplier nanoClock) {
    this.config = config;
    this.vertx = vertx;
    this.resolver = resolver;
    this.nanoClock = nanoClock;
  }

  /** Parses and checks the form of an endpoint URL (no DNS); fails with {@link Refused}. */
  public URI parse(String url) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new Refused("is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new Refused("must be an http or https URL");
    }
    if (config.requireHttps() && !scheme.equals("https")) {
      throw new Refused("must use https");
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      throw new Refused("must name a host");
    }
    if (uri.getRawUserInfo() != null) {
      throw new Refused("must not carry credentials");
    }
    if (uri.getRawFragment() != null) {
      throw new Refused("must not have a fragment");
    }
    return uri;
  }

  /**
   * The address a delivery connects to: the host's checked address if it was checked within
   * {@code address-check-ttl}, else {@link #resolve(URI)} (and remembered).
   */
  public Uni<InetAddress> deliveryAddress(URI uri) {
    String host = uri.getHost();
    long now = nanoClock.getAsLong();
    Checked known = checked.get(host);
    if (known != null && now - known.until() < 0) {
      return Uni.createFrom().item(known.address());
    }
    long ttl = config.addressCheckTtl().toNanos();
    return resolve(uri)
        .invoke(
            address -> {
              if (ttl > 0) {
                if (checked.size() >= MAX_CHECKED) {
                  checked.clear();
                }
                checked.put(host, new Checked(address, now + ttl));
              }
            });
  }

  /**
   * Resolves the URL's host off the event loop and answers the address to connect to; fails with
   * {@link Refused} if any address of the host is internal (a mixed answer is how rebinding hides).
   */
  public Uni<InetAddress> resolve(URI uri) {
    String host = uri.getHost();
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    // An address literal needs no lookup: no hop to a worker thread on every attempt.
    Uni<InetAddress[]> lookup =
        IP_LITERAL.matcher(bare).matches()
            ? Uni.createFrom().item(() -> {
                try {
                  return InetAddress.getAllByName(bare); // a literal: parsed, never looked up
                } catch (UnknownHostException e) {
                  throw new Refused("host " + host + " is not a valid address");
                }
              })
            : vertx.executeBlocking(() -> resolver.resolve(bare), false);
    return lookup
        .onFailure(UnknownHostException.class)
        .transform(e -> new Refused("host " + host + " does not resolve"))
        .map(
            addresses -> {
              if (!config.allowPrivateTargets()) {
                for (InetAddress a : addresses) {
                  String reason = internalReason(a);
                  if (reason != null) {
                    throw new Refused("host " + host + " resolves to a " + reason + " address");
                  }
                }
              }
              return addresses[0];
            });
  }

  /** Checks the URL fully: form and resolved addresses. */
  public Uni<URI> check(String url) {
    URI uri;
    try {
      uri = parse(url);
    } catch (Refused e) {
      return Uni.createFrom().failure(e);
    }
    return resolve(uri).replaceWith(uri);
  }

  /** Null for a public unicast address, else what kind of internal address it is. */
  public static String internalReason(InetAddress a) {
    return InternalAddresses.reason(a);
  }
}
