package dev.dsync.poller.graph;

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
 * OAuth 2.0 client-credentials tokens for Microsoft Graph, cached per connection and credentials
 * until a minute before they expire (Microsoft identity platform, "OAuth 2.0 client credentials
 * flow": POST {authority}/{tenant}/oauth2/v2.0/token, scope https://graph.microsoft.com/.default).
 */
@ApplicationScoped
public class GraphTokens {

  private record Cached(String token, Instant refreshAt) {}

  private final SourceHttp http;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  public GraphTokens(SourceHttp http) {
    this.http = http;
  }

  /** A valid access token, from the cache when it has one. */
  public Uni<String> token(SourceContext ctx, JobStats stats) {
    String key = cacheKey(ctx);
    Cached c = cache.get(key);
    if (c != null && Instant.now().isBefore(c.refreshAt())) {
      return Uni.createFrom().item(c.token());
    }
    String url = ctx.setting("authorityUrl", "https://login.microsoftonline.com") + "/" + enc(ctx.setting("tenantId", "")) + "/oauth2/v2.0/token";
    String form = "client_id=" + enc(ctx.setting("clientId", "")) + "&scope=" + enc(ctx.setting("scope", "https://graph.microsoft.com/.default"))
        + "&client_secret=" + enc(ctx.secret("clientSecret")) + "&grant_type=client_credentials";
    return http.send(ctx.connectionId(), stats, SourceHttp.Request.form(url, form)).map(r -> {
      stats.inc("tokenRequests");
      JsonNode body = parse(r.body());
      if (r.status() == 200 && body.hasNonNull("access_token")) {
        long expiresIn = body.path("expires_in").asLong(3599);
        String token = body.get("access_token").asText();
        cache.put(key, new Cached(token, Instant.now().plusSeconds(Math.max(0, expiresIn - 60))));
        return token;
      }
      // error and the AADSTS code say what is wrong; the description never echoes the secret.
      String error = body.path("error").asText("http_" + r.status());
      String codes = body.path("error_codes").toString();
      if ("invalid_client".equals(error) || "unauthorized_client".equals(error) || r.status() == 401) {
        throw SourceException.invalidCredentials("token endpoint refused the client credentials (" + error + " " + codes + ")");
      }
      throw SourceException.rejected("token endpoint answered " + r.status() + " " + error + " " + codes + ": check tenantId and clientId");
    });
  }

  /** Drops the cached token (Graph answered 401 with it). */
  public void forget(SourceContext ctx) {
    cache.remove(cacheKey(ctx));
  }

  private static String cacheKey(SourceContext ctx) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest((ctx.setting("tenantId", "") + "\n" + ctx.setting("clientId", "") + "\n"
          + ctx.secret("clientSecret")).getBytes(StandardCharsets.UTF_8));
      return ctx.connectionId() + ":" + HexFormat.of().formatHex(d, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode parse(String body) {
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
