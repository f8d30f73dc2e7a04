package dev.dsync.audit.query;

import dev.dsync.audit.chain.CanonicalJson;
import dev.dsync.audit.chain.ChainedRecord;
import dev.dsync.audit.config.AuditConfig;
import dev.dsync.audit.ingest.Outcome;
import dev.dsync.platform.errors.Problem;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.platform.tenancy.Roles;
import dev.dsync.platform.tenancy.TenantContext;
import io.smallrye.mutiny.Multi;
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
import org.jboss.resteasy.reactive.RestStreamElementType;

/** The audit trail of the caller's tenant: filtered pages, and streamed exports (NDJSON, CSV). */
@Path("/api/v1/audit")
@RolesAllowed({Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN})
public class AuditRecordResource {

  static final String CSV_HEADER =
      "position,eventId,occurredAt,recordedAt,eventType,source,directoryId,actorKind,actorId,action,"
          + "entityType,entityId,outcome,jobId,traceId,data,previousHash,hash\n";

  private final AuditQueryService service;
  private final TenantContext tenant;
  private final AuditConfig config;

  public AuditRecordResource(AuditQueryService service, TenantContext tenant, AuditConfig config) {
    this.service = service;
    this.tenant = tenant;
    this.config = config;
  }

  @GET
  @Path("/records")
  @Produces(MediaType.APPLICATION_JSON)
  public Uni<RecordPage> records(
      @RestQuery String from,
      @RestQuery String to,
      @RestQuery String directoryId,
      @RestQuery String actor,
      @RestQuery String action,
      @RestQuery String entityId,
      @RestQuery String outcome,
      @RestQuery String eventType,
      @RestQuery String cursor,
      @RestQuery Integer limit) {
    RecordFilter filter = filter(from, to, directoryId, actor, action, entityId, outcome, eventType);
    int size = limit == null ? config.query().defaultLimit() : limit;
    if (size < 1 || size > config.query().maxLimit()) {
      throw ProblemException.invalid(
          List.of(new Problem.FieldError("limit", "must be between 1 and " + config.query().maxLimit())));
    }
    Cursor after = cursor == null || cursor.isBlank() ? null : Cursor.decode(cursor);
    return service.page(tenant.tenantId(), filter, after, size);
  }

  /** NDJSON, one record per line, oldest first. */
  @GET
  @Path("/export")
  @Produces("application/x-ndjson")
  @RestStreamElementType(MediaType.APPLICATION_JSON)
  public Multi<AuditRecordView> exportNdjson(
      @RestQuery String from,
      @RestQuery String to,
      @RestQuery String directoryId,
      @RestQuery String actor,
      @RestQuery String action,
      @RestQuery String entityId,
      @RestQuery String outcome,
      @RestQuery String eventType) {
    RecordFilter filter = filter(from, to, directoryId, actor, action, entityId, outcome, eventType);
    return service.stream(tenant.tenantId(), filter).map(AuditRecordView::of);
  }

  /** CSV (RFC 4180) with a header line, oldest first; {@code data} is the record's JSON. */
  @GET
  @Path("/export.csv")
  @Produces("text/csv")
  public Multi<String> exportCsv(
      @RestQuery String from,
      @RestQuery String to,
      @RestQuery String directoryId,
      @RestQuery String actor,
      @RestQuery String action,
      @RestQuery String entityId,
      @RestQuery String outcome,
      @RestQuery String eventType) {
    RecordFilter filter = filter(from, to, directoryId, actor, action, entityId, outcome, eventType);
    return Multi.createBy()
        .concatenating()
        .streams(Multi.createFrom().item(CSV_HEADER), service.stream(tenant.tenantId(), filter).map(AuditRecordResource::csv));
  }

  static String csv(ChainedRecord r) {
    StringBuilder line = new StringBuilder(512);
    Object[] cells = {
      r.position(), r.eventId(), r.occurredAt(), r.recordedAt(), r.eventType(), r.source(), r.directoryId(),
      r.actorKind(), r.actorId(), r.action(), r.entityType(), r.entityId(), r.outcome(), r.jobId(), r.traceId(),
      CanonicalJson.write(r.data()), r.prevHash(), r.hash()
    };
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        line.append(',');
      }
      if (cells[i] != null) {
        String v = cells[i].toString();
        boolean quote = v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0;
        // A leading =, +, - or @ would make a spreadsheet evaluate the cell; quote-and-prefix it.
        if (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0) {
          v = "'" + v;
          quote = true;
        }
        if (quote) {
          line.append('"').append(v.replace("\"", "\"\"")).append('"');
        } else {
          line.append(v);
        }
      }
    }
    return line.append('\n').toString();
  }

  private static RecordFilter filter(
      String from, String to, String directoryId, String actor, String action, String entityId, String outcome, String eventType) {
    List<Problem.FieldError> errors = new ArrayList<>();
    Instant f = instant("from", from, errors);
    Instant t = instant("to", to, errors);
    if (f != null && t != null && !f.isBefore(t)) {
      errors.add(new Problem.FieldError("to", "must be after from"));
    }
    if (outcome != null) {
      try {
        Outcome.valueOf(outcome);
      } catch (IllegalArgumentException e) {
        errors.add(new Problem.FieldError("outcome", "must be one of SUCCESS, FAILURE, DENIED"));
      }
    }
    if (!errors.isEmpty()) {
      throw ProblemException.invalid(errors);
    }
    return new RecordFilter(f, t, blank(directoryId), blank(actor), blank(action), blank(entityId), outcome, blank(eventType));
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

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
