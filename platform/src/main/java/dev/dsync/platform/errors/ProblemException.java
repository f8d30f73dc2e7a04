package dev.dsync.platform.errors;

import java.util.List;

/**
 * A client-visible failure of an admin API call, mapped to problem+json in one place. Services throw
 * these (or subclass them) instead of building responses.
 */
public class ProblemException extends RuntimeException {

  private final int status;
  private final String title;
  private final String type;
  private final List<Problem.FieldError> errors;

  public ProblemException(int status, String type, String title, String detail, List<Problem.FieldError> errors) {
    super(detail);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = errors == null ? List.of() : List.copyOf(errors);
  }

  public static ProblemException notFound(String what, String id) {
    return new ProblemException(404, "https://dsync.dev/problems/not-found", "Not Found", what + " " + id + " does not exist", null);
  }

  public static ProblemException conflict(String detail) {
    return new ProblemException(409, "https://dsync.dev/problems/conflict", "Conflict", detail, null);
  }

  public static ProblemException badRequest(String detail) {
    return new ProblemException(400, "https://dsync.dev/problems/bad-request", "Bad Request", detail, null);
  }

  public static ProblemException invalid(List<Problem.FieldError> errors) {
    return new ProblemException(400, "https://dsync.dev/problems/validation", "Validation failed", "the request has invalid fields", errors);
  }

  public static ProblemException forbidden(String detail) {
    return new ProblemException(403, "https://dsync.dev/problems/forbidden", "Forbidden", detail, null);
  }

  public int status() {
    return status;
  }

  public Problem toProblem(String instance) {
    return new Problem(type, title, status, getMessage(), instance, errors);
  }
}
