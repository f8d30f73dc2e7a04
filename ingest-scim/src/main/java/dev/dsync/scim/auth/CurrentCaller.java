package dev.dsync.scim.auth;

import dev.dsync.scim.protocol.ScimProblem;
import jakarta.enterprise.context.RequestScoped;

/** The authenticated SCIM caller of this request, set by {@link ScimAuthFilter}. */
@RequestScoped
public class CurrentCaller {

  private ScimCaller caller;

  void set(ScimCaller caller) {
    this.caller = caller;
  }

  public ScimCaller get() {
    if (caller == null) {
      throw ScimProblem.unauthorized("a valid bearer token is required");
    }
    return caller;
  }
}
