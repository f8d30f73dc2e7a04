package dev.dsync.poller.google;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dsync.events.EventJson;
import dev.dsync.poller.source.JobStats;
import dev.dsync.poller.source.SourceContext;
import dev.dsync.poller.source.SourceException;
import dev.dsync.poller.source.SourceHttp;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access tokens for a service account with domain-wide delegation, cached per connection, key and
 * subject until a minute before they expire (Google Identity, "Using OAuth 2.0 for Server to Server
 * Applications": POST token_uri with grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and the
 * signed assertion; the answer is {access_token, expires_in, token_type} or {error, error_description}).
 */
@ApplicationScoped
public class GoogleTokens {

  /** Read-only user and group scopes; the Admin console's domain-wide delegation must list both. */
  public static final String SCOPES =
      "https://www.googleapis.com/auth/admin.directory.user.readonly https://www.googleapis.com/auth/admin.directory.group.readonly";

  static final String GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

  private record Cached(String token, Instant refreshAt) {}

  private final SourceHttp http;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  public GoogleTokens(SourceHttp http) {
    this.http = http;
  }

  /** The connection's key; a key that cannot be read is invalid credentials. */
  static ServiceAccountKey key(SourceContext ctx) {
    try {
      return ServiceAccountKey.parse(ctx.credentials() == null ? null : ctx.credentials().get("serviceAccountJson"));
    } catch (ServiceAccountKey.BadKey e) {
      throw SourceException.invalidCredentials("credentials.serviceAccountJson " + e.getMessage());
    }
  }

  /** A valid access token, from the cache when it has one. */
  public Uni<String> token(SourceContext ctx, JobStats stats) {
    ServiceAccountKey key;
    try {
      key = key(ctx);
    } catch (SourceException e) {
      return Uni.createFrom().failure(e);
    }
    String subject = ctx.setting("subject", null);
    String cacheKey = cacheKey(ctx, subject);
    Cached c = cache.get(cacheKey);
    if (c != null && Instant.now().isBefore(c.refreshAt())) {
      return Uni.createFrom().item(c.token());
    }
    String form = "grant_type=" + enc(GRANT) + "&assertion=" + enc(key.assertion(subject, SCOPES, key.tokenUri(), Instant.now()));
    return http.send(ctx.connectionId(), stats, SourceHttp.Request.form(key.tokenUri(), form)).map(r -> {
      stats.inc("tokenRequests");
      JsonNode body = parse(r.body());
      if (r.status() == 200 && body.hasNonNull("access_token")) {
        long expiresIn = body.path("expires_in").asLong(3599);
        String token = body.get("access_token").asText();
        cache.put(cacheKey, new Cached(token, Instant.now().plusSeconds(Math.max(0, expiresIn - 60))));
        return token;
      }
      throw refused(r.status(), body, key, subject);
    });
  }

  /** Drops the cached token (the Directory API answered 401 with it). */
  public void forget(SourceContext ctx) {
    cache.remove(cacheKey(ctx, ctx.setting("subject", null)));
  }

  /**
   * What the token endpoint's refusal means. Google's error_description is matched to explain it but
   * never copied: the message names only the error code, the service account, the subject and the fix.
   */
  static SourceException refused(int status, JsonNode body, ServiceAccountKey key, String subject) {
    String error = body.path("error").asText("http_" + status);
    String description = body.path("error_description").asText("");
    String who = "service account " + key.clientEmail();
    switch (error) {
      case "unauthorized_client":
        // Fixed in the Google Admin console, not with new credentials: stay schedulable (ERROR), so runs recover once granted.
        return SourceException.rejected("Google refused the token (unauthorized_client): domain-wide delegation not granted for these scopes;"
            + " in the Admin console (Security > Access and data control > API controls > Domain-wide delegation) authorize client ID "
            + (key.clientId() == null ? "of " + who : key.clientId()) + " for " + SCOPES.replace(' ', ','));
      case "invalid_client":
        return SourceException.invalidCredentials("Google refused the token (invalid_client): " + who
            + " or its key does not exist (deleted or disabled in Google Cloud); create a new JSON key and replace credentials.serviceAccountJson");
      case "invalid_grant":
        if (description.contains("Signature")) {
          return SourceException.invalidCredentials("Google refused the token (invalid_grant, JWT signature): the key of " + who
              + " was deleted, disabled or replaced in Google Cloud; create a new JSON key and replace credentials.serviceAccountJson");
        }
        if (description.toLowerCase(java.util.Locale.ROOT).contains("account not found")) {
          return SourceException.invalidCredentials("Google refused the token (invalid_grant): " + who
              + " does not exist any more; replace credentials.serviceAccountJson with a key of an existing service account");
        }
        if (description.contains("email or User ID")) {
          return SourceException.rejected("Google refused the token (invalid_grant): settings.subject " + subject
              + " is not a user of the Google Workspace account; name an administrator of the domain to impersonate");
        }
        if (description.contains("iat") || description.contains("short-lived")) {
          return SourceException.rejected("Google refused the token (invalid_grant, assertion time): this server's clock is"
              + " more than a few minutes off; synchronise it (NTP)");
        }
        return SourceException.rejected("Google refused the token (invalid_grant): the key of " + who
            + " may be revoked, settings.subject " + subject + " may not exist or be suspended, or this server's clock may be off");
      default:
        return SourceException.rejected("Google's token endpoint answered " + status + " " + error);
    }
  }

  private static String cacheKey(SourceContext ctx, String subject) {
    try {
      JsonNode json = ctx.credentials() == null ? null : ctx.credentials().get("serviceAccountJson");
      byte[] d = MessageDigest.getInstance("SHA-256").digest((subject + "\n" + (json == null ? "" : json.toString())).getBytes(StandardCharsets.UTF_8));
      return ctx.connectionId() + ":" + HexFormat.of().formatHex(d, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode parse(String body) {
    try {
      return body == null || body.isBlank() ? EventJson.mapper().createObjectNode() : EventJson.mapper().readTree(body);
    } catch (java.io.IOException e) {
      return EventJson.mapper().createObjectNode();
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s == null ? "" : s, StandardCharsets.UTF_8);
  }
}
