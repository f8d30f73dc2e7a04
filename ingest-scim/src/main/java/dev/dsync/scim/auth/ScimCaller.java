package dev.dsync.scim.auth;

import dev.dsync.events.Actor;
import java.util.UUID;

/** Who is calling the SCIM API: the directory its token opens, that directory's tenant, the token id. */
public record ScimCaller(UUID directoryId, String tenantId, UUID tokenId) {

  public Actor actor() {
    return new Actor(Actor.Kind.SCIM_TOKEN, tokenId.toString(), null);
  }
}
