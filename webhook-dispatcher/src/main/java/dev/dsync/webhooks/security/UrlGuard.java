package dev.dsync.webhooks.security;

import dev.dsync.platform.net.InternalAddresses;
import dev.dsync.webhooks.config.WebhooksConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Decides whether dsync may call a URL: http(s) only (https in production), and no host that
 * resolves to a private, loopback, link-local, metadata or otherwise internal address unless
 * {@code dsync.webhooks.allow-private-targets} is set. Checked when an endpoint is saved and again
 * at each delivery, which then connects to the very address it checked (no DNS rebinding window).
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

  private final WebhooksConfig config;
  private final Vertx vertx;

  public UrlGuard(WebhooksConfig config, Vertx vertx) {
    this.config = config;
    this.vertx = vertx;
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
                  return InetAddress.getAllByName(bare);
                } catch (UnknownHostException e) {
                  throw new Refused("host " + host + " is not a valid address");
                }
              })
            : vertx.executeBlocking(() -> InetAddress.getAllByName(bare), false);
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
