package dev.dsync.scim.auth;

import dev.dsync.scim.protocol.ScimError;
import dev.dsync.scim.protocol.ScimMedia;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authenticates every /scim/v2/{directoryId} request by its bearer token. A token opens its own
 * directory and nothing else: any other directory id is 401, exactly as an unknown token, so a
 * token cannot probe which directories exist. An inactive directory is 403; a directory over its
 * rate is 429 with Retry-After.
 */
public class ScimAuthFilter {

  private static final Pattern SCIM_PATH = Pattern.compile("^/scim/v2/([^/]+)(/.*)?$");

  private final TokenAuthenticator tokens;
  private final RateLimiter rateLimiter;
  private final CurrentCaller current;

  public ScimAuthFilter(TokenAuthenticator tokens, RateLimiter rateLimiter, CurrentCaller current) {
    this.tokens = tokens;
    this.rateLimiter = rateLimiter;
    this.current = current;
  }

  @ServerRequestFilter
  public Uni<Response> authenticate(ContainerRequestContext ctx) {
    Matcher m = SCIM_PATH.matcher(ctx.getUriInfo().getPath());
    if (!m.matches()) {
      return Uni.createFrom().nullItem();
    }
    UUID directoryId;
    try {
      directoryId = UUID.fromString(m.group(1));
    } catch (IllegalArgumentException e) {
      return Uni.createFrom().item(error(401, "a valid bearer token is required"));
    }
    String header = ctx.getHeaderString("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
      return Uni.createFrom().item(error(401, "a valid bearer token is required"));
    }
    String token = header.substring(7).trim();
    return tokens
        .authenticate(token)
        .map(
            grant -> {
              if (grant == null || !grant.directoryId().equals(directoryId)) {
                return error(401, "a valid bearer token is required");
              }
              if (!grant.directoryActive()) {
                return error(403, "this directory is inactive; an administrator must activate it");
              }
              long wait = rateLimiter.acquire(directoryId);
              if (wait > 0) {
                return Response.fromResponse(error(429, "too many requests for this directory"))
                    .header("Retry-After", String.valueOf(wait))
                    .build();
              }
              current.set(new ScimCaller(directoryId, grant.tenantId(), grant.tokenId()));
              MDC.put("tenantId", grant.tenantId());
              MDC.put("directoryId", directoryId.toString());
              return null;
            });
  }

  private static Response error(int status, String detail) {
    Response.ResponseBuilder b = Response.status(status).type(ScimMedia.SCIM_JSON).entity(ScimError.of(status, null, detail));
    if (status == 401) {
      b.header("WWW-Authenticate", "Bearer realm=\"dsync-scim\"");
    }
    return b.build();
  }
}
