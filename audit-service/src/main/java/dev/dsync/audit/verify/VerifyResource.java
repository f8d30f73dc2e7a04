package dev.dsync.audit.verify;

import dev.dsync.platform.errors.Problem;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.platform.tenancy.Roles;
import dev.dsync.platform.tenancy.TenantContext;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.jboss.resteasy.reactive.RestQuery;

/**
 * Verifies the caller's tenant's chain: the whole chain, or with {@code from}/{@code to} the
 * records appended in that window. Answers 200 with the report either way; {@code valid} says
 * whether the chain holds and {@code firstBreak} where it does not.
 */
@Path("/api/v1/audit/verify")
@RolesAllowed({Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN})
public class VerifyResource {

  private final ChainVerifier verifier;
  private final TenantContext tenant;

  public VerifyResource(ChainVerifier verifier, TenantContext tenant) {
    this.verifier = verifier;
    this.tenant = tenant;
  }

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  public Uni<VerificationReport> verify(@RestQuery String from, @RestQuery String to) {
    List<Problem.FieldError> errors = new ArrayList<>();
    Instant f = instant("from", from, errors);
    Instant t = instant("to", to, errors);
    if (f != null && t != null && !f.isBefore(t)) {
      errors.add(new Problem.FieldError("to", "must be after from"));
    }
    if (!errors.isEmpty()) {
      throw ProblemException.invalid(errors);
    }
    return verifier.verify(tenant.tenantId(), f, t);
  }

  private static Instant instant(String field, String value, List<Problem.FieldError> errors) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      errors.add(new Problem.FieldError(field, "must be an ISO-8601 instant, e.g. 2026-01-31T00:00:00Z"));
      return null;
    }
  }
}
