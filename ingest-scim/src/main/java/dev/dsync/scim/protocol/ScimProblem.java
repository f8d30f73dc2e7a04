package dev.dsync.scim.protocol;

/**
 * A SCIM protocol error (RFC 7644 §3.12): HTTP status, optional {@code scimType}, and a detail
 * for the client. Thrown anywhere under /scim and rendered with the SCIM error schema.
 */
public class ScimProblem extends RuntimeException {

  private final int status;
  private final String scimType;

  public ScimProblem(int status, String scimType, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.scimType = scimType;
  }

  public int status() {
    return status;
  }

  public String scimType() {
    return scimType;
  }

  public ScimError toError() {
    return ScimError.of(status, scimType, getMessage());
  }

  public static ScimProblem invalidFilter(String detail) {
    return new ScimProblem(400, "invalidFilter", detail);
  }

  public static ScimProblem invalidSyntax(String detail) {
    return new ScimProblem(400, "invalidSyntax", detail);
  }

  public static ScimProblem invalidPath(String detail) {
    return new ScimProblem(400, "invalidPath", detail);
  }

  public static ScimProblem invalidValue(String detail) {
    return new ScimProblem(400, "invalidValue", detail);
  }

  public static ScimProblem noTarget(String detail) {
    return new ScimProblem(400, "noTarget", detail);
  }

  public static ScimProblem mutability(String detail) {
    return new ScimProblem(400, "mutability", detail);
  }

  public static ScimProblem uniqueness(String detail) {
    return new ScimProblem(409, "uniqueness", detail);
  }

  public static ScimProblem tooMany(String detail) {
    return new ScimProblem(400, "tooMany", detail);
  }

  public static ScimProblem notFound(String detail) {
    return new ScimProblem(404, null, detail);
  }

  public static ScimProblem preconditionFailed(String detail) {
    return new ScimProblem(412, null, detail);
  }

  public static ScimProblem unauthorized(String detail) {
    return new ScimProblem(401, null, detail);
  }

  public static ScimProblem forbidden(String detail) {
    return new ScimProblem(403, null, detail);
  }
}
