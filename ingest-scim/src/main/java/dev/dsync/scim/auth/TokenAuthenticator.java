package dev.dsync.scim.auth;

import dev.dsync.scim.ScimConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves a bearer token to its directory, caching lookups briefly so a busy IdP does not cost a
 * query per request; records when each token was last used (at most once a minute per token).
 */
@ApplicationScoped
public class TokenAuthenticator {

  /** What a valid token resolves to. */
  public record TokenGrant(UUID tokenId, UUID directoryId, String tenantId, boolean directoryActive) {}

  private record Cached(TokenGrant grant, long expiresAtNanos) {}

  private static final String LOOKUP =
      "select t.id, t.directory_id, d.tenant_id, d.state from scim_token t join scim_directory d on d.id = t.directory_id"
          + " where t.token_hash = $1 and t.revoked_at is null and (t.expires_at is null or t.expires_at > now())";

  private final Pool pool;
  private final ScimConfig config;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  private final Map<UUID, Long> lastTouched = new ConcurrentHashMap<>();

  public TokenAuthenticator(Pool pool, ScimConfig config) {
    this.pool = pool;
    this.config = config;
  }

  /** The grant of {@code token}, or null if it is unknown, revoked or expired. */
  public Uni<TokenGrant> authenticate(String token) {
    byte[] hash = ScimTokens.hash(token);
    String key = HexFormat.of().formatHex(hash);
    Cached c = cache.get(key);
    long now = System.nanoTime();
    if (c != null && c.expiresAtNanos > now) {
      touch(c.grant);
      return Uni.createFrom().item(c.grant);
    }
    return pool.preparedQuery(LOOKUP)
        .execute(Tuple.of(hash))
        .map(
            rows -> {
              if (rows.size() == 0) {
                cache.remove(key);
                return null;
              }
              Row r = rows.iterator().next();
              TokenGrant g =
                  new TokenGrant(r.getUUID("id"), r.getUUID("directory_id"), r.getString("tenant_id"), "ACTIVE".equals(r.getString("state")));
              cache.put(key, new Cached(g, now + config.tokenCacheTtl().toNanos()));
              touch(g);
              return g;
            });
  }

  /** Drops cached grants of a directory (after revocation, deactivation or deletion). */
  public void forget(UUID directoryId) {
    cache.values().removeIf(c -> c.grant.directoryId().equals(directoryId));
  }

  private void touch(TokenGrant g) {
    long now = System.currentTimeMillis();
    Long last = lastTouched.get(g.tokenId());
    if (last != null && now - last < 60_000) {
      return;
    }
    lastTouched.put(g.tokenId(), now);
    pool.preparedQuery("update scim_token set last_used_at = $2 where id = $1")
        .execute(Tuple.of(g.tokenId(), OffsetDateTime.now()))
        .subscribe()
        .with(ok -> {}, failure -> lastTouched.remove(g.tokenId()));
  }
}
