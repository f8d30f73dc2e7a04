package dev.dsync.platform.errors;

import jakarta.ws.rs.core.Response;

/**
 * A protocol with its own error body (SCIM's error schema) claims its paths here, so that errors
 * raised before a resource method runs (unknown path, wrong method, unreadable body) still answer
 * in that protocol's format instead of problem+json.
 */
public interface ErrorFormat {

  /** Whether this format answers for requests to {@code path}. */
  boolean handles(String path);

  /** The error response for {@code status} with a human-readable {@code detail}. */
  Response respond(int status, String detail);
}
