package dev.dsync.scim.protocol;

import com.unboundid.scim2.common.exceptions.ScimException;
import dev.dsync.platform.errors.ErrorFormat;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Renders every error under /scim with the SCIM error schema: ScimProblem and the SCIM SDK's
 * exceptions here, and (through {@link ErrorFormat}) what the framework raises before a resource
 * runs, such as an unknown path or an unsupported method.
 */
@ApplicationScoped
public class ScimErrors implements ErrorFormat {

  @ServerExceptionMapper
  public Response problem(ScimProblem e) {
    return respond(e.toError());
  }

  @ServerExceptionMapper
  public Response sdk(ScimException e) {
    String scimType = e.getScimError().getScimType();
    int status = e.getScimError().getStatus();
    Log.debugf("SCIM SDK error %d %s", status, scimType);
    return respond(ScimError.of(status, scimType, clean(e.getMessage())));
  }

  @Override
  public boolean handles(String path) {
    return path != null && path.startsWith("/scim/");
  }

  @Override
  public Response respond(int status, String detail) {
    Response.ResponseBuilder b = Response.status(status).type(ScimMedia.SCIM_JSON).entity(ScimError.of(status, null, detail));
    if (status == 401) {
      b.header("WWW-Authenticate", "Bearer realm=\"dsync-scim\"");
    }
    return b.build();
  }

  static Response respond(ScimError error) {
    Response.ResponseBuilder b =
        Response.status(Integer.parseInt(error.status())).type(ScimMedia.SCIM_JSON).entity(error);
    if ("401".equals(error.status())) {
      b.header("WWW-Authenticate", "Bearer realm=\"dsync-scim\"");
    }
    return b.build();
  }

  /** The SDK's messages may quote Jackson's parser state; keep only the first line. */
  static String clean(String message) {
    if (message == null) {
      return null;
    }
    int nl = message.indexOf('\n');
    String first = nl < 0 ? message : message.substring(0, nl);
    int jackson = first.indexOf(": Unrecognized token");
    return jackson < 0 ? first : first.substring(0, jackson);
  }
}
