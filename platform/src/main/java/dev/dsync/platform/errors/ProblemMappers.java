package dev.dsync.platform.errors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.quarkus.hibernate.validator.runtime.jaxrs.ResteasyReactiveViolationException;
import io.quarkus.logging.Log;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.enterprise.inject.Instance;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Maps every exception that reaches an admin API to problem+json by its type: never a stack
 * trace, a class name or an empty body. Services with their own protocol (SCIM) declare their own
 * mappers on their resources, which take precedence.
 */
public class ProblemMappers {

  private final Instance<ErrorFormat> formats;

  public ProblemMappers(Instance<ErrorFormat> formats) {
    this.formats = formats;
  }

  @ServerExceptionMapper
  public Response problem(ProblemException e, UriInfo uri) {
    return respond(e.toProblem(path(uri)));
  }

  @ServerExceptionMapper
  public Response requestValidation(ResteasyReactiveViolationException e, UriInfo uri) {
    return validation(e, uri);
  }

  @ServerExceptionMapper
  public Response validation(ConstraintViolationException e, UriInfo uri) {
    List<Problem.FieldError> errors =
        e.getConstraintViolations().stream()
            .map(v -> new Problem.FieldError(leaf(v.getPropertyPath().toString()), v.getMessage()))
            .sorted((a, b) -> a.field().compareTo(b.field()))
            .collect(Collectors.toList());
    return respond(ProblemException.invalid(errors).toProblem(path(uri)));
  }

  @ServerExceptionMapper
  public Response unreadable(JsonProcessingException e, UriInfo uri) {
    String detail = "the request body is not valid JSON";
    if (e instanceof InvalidFormatException f && !f.getPath().isEmpty()) {
      detail = "field '" + fieldPath(f) + "' has a value of the wrong type or format";
    } else if (e instanceof MismatchedInputException m && !m.getPath().isEmpty()) {
      detail = "field '" + fieldPath(m) + "' has a value of the wrong type";
    }
    return respond(ProblemException.badRequest(detail).toProblem(path(uri)));
  }

  @ServerExceptionMapper
  public Response mismatched(MismatchedInputException e, UriInfo uri) {
    return unreadable(e, uri);
  }

  @ServerExceptionMapper
  public Response unauthorized(UnauthorizedException e, UriInfo uri) {
    return unauthenticated(uri);
  }

  @ServerExceptionMapper
  public Response authenticationFailed(AuthenticationFailedException e, UriInfo uri) {
    return unauthenticated(uri);
  }

  @ServerExceptionMapper
  public Response forbidden(ForbiddenException e, UriInfo uri) {
    return respond(ProblemException.forbidden("the token's roles do not allow this").toProblem(path(uri)));
  }

  @ServerExceptionMapper
  public Response web(WebApplicationException e, UriInfo uri) {
    int status = e.getResponse().getStatus();
    if (status >= 500) {
      return internal(e, uri);
    }
    String title = Response.Status.fromStatusCode(status) == null ? "Error" : Response.Status.fromStatusCode(status).getReasonPhrase();
    String detail = status == 404 ? "no such resource" : status == 405 ? "method not allowed on this resource" : title;
    if (e.getCause() instanceof JsonProcessingException jpe) {
      return unreadable(jpe, uri);
    }
    return respond(new Problem("about:blank", title, status, detail, path(uri), null));
  }

  @ServerExceptionMapper
  public Response internal(Throwable e, UriInfo uri) {
    String incident = UUID.randomUUID().toString();
    Log.errorf(e, "unhandled error on %s (incident %s)", path(uri), incident);
    return respond(
        new Problem(
            "about:blank", "Internal Server Error", 500, "unexpected error; incident " + incident, path(uri), null));
  }

  private Response unauthenticated(UriInfo uri) {
    for (ErrorFormat format : formats) {
      if (uri != null && format.handles(uri.getPath())) {
        return format.respond(401, "a valid bearer token is required");
      }
    }
    return Response.status(401)
        .header("WWW-Authenticate", "Bearer")
        .type(Problem.MEDIA_TYPE)
        .entity(new Problem("https://dsync.dev/problems/unauthorized", "Unauthorized", 401, "a valid bearer token is required", path(uri), null))
        .build();
  }

  private Response respond(Problem problem) {
    if (problem.instance() != null) {
      for (ErrorFormat format : formats) {
        if (format.handles(problem.instance())) {
          return format.respond(problem.status(), problem.detail());
        }
      }
    }
    return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
  }

  private static String path(UriInfo uri) {
    return uri == null ? null : uri.getPath();
  }

  private static String leaf(String propertyPath) {
    // "create.arg0.name" -> "name": the method and parameter names are not the client's concern.
    String[] parts = propertyPath.split("\\.");
    return parts.length > 2 ? String.join(".", java.util.Arrays.copyOfRange(parts, 2, parts.length)) : parts[parts.length - 1];
  }

  private static String fieldPath(MismatchedInputException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."));
  }
}
