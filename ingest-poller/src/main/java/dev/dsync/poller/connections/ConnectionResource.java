package dev.dsync.poller.connections;

import dev.dsync.events.source.SyncMode;
import dev.dsync.platform.errors.Problem;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.platform.tenancy.Roles;
import dev.dsync.platform.tenancy.TenantContext;
import dev.dsync.poller.connections.ConnectionViews.ConnectionChange;
import dev.dsync.poller.connections.ConnectionViews.ConnectionView;
import dev.dsync.poller.connections.ConnectionViews.JobView;
import dev.dsync.poller.connections.ConnectionViews.NewConnection;
import dev.dsync.poller.jobs.SyncJobs;
import dev.dsync.poller.jobs.SyncWorker;
import dev.dsync.poller.source.TestReport;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import java.util.List;
import java.util.UUID;
import org.jboss.resteasy.reactive.ResponseStatus;

/** Admin API of polling connections and their sync jobs, scoped to the caller's tenant. */
@Path("/api/v1/connections")
@RolesAllowed({Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN})
public class ConnectionResource {

  private final ConnectionService connections;
  private final SyncJobs jobs;
  private final SyncWorker worker;
  private final TenantContext tenant;

  public ConnectionResource(ConnectionService connections, SyncJobs jobs, SyncWorker worker, TenantContext tenant) {
    this.connections = connections;
    this.jobs = jobs;
    this.worker = worker;
    this.tenant = tenant;
  }

  @POST
  @ResponseStatus(201)
  public Uni<ConnectionView> create(@Valid @NotNull NewConnection body) {
    return connections.create(tenant.tenantId(), tenant.actor(), body);
  }

  @GET
  public Uni<List<ConnectionView>> list() {
    return connections.list(tenant.tenantId());
  }

  @GET
  @Path("/{id}")
  public Uni<ConnectionView> get(@PathParam("id") UUID id) {
    return connections.get(tenant.tenantId(), id);
  }

  @PATCH
  @Path("/{id}")
  public Uni<ConnectionView> change(@PathParam("id") UUID id, @Valid @NotNull ConnectionChange body) {
    return connections.change(tenant.tenantId(), tenant.actor(), id, body);
  }

  @DELETE
  @Path("/{id}")
  @ResponseStatus(204)
  public Uni<Void> delete(@PathParam("id") UUID id) {
    return connections.delete(tenant.tenantId(), tenant.actor(), id);
  }

  @POST
  @Path("/{id}/test")
  public Uni<TestReport> test(@PathParam("id") UUID id) {
    return connections.test(tenant.tenantId(), tenant.actor(), id);
  }

  /** Queues a run now (202); this replica starts it at once if it has a free slot. */
  @POST
  @Path("/{id}/sync")
  @ResponseStatus(202)
  public Uni<JobView> sync(@PathParam("id") UUID id, @QueryParam("mode") @DefaultValue("incremental") String mode) {
    SyncMode m = switch (mode) {
      case "incremental" -> SyncMode.INCREMENTAL;
      case "complete" -> SyncMode.COMPLETE;
      default -> throw ProblemException.invalid(List.of(new Problem.FieldError("mode", "must be incremental or complete")));
    };
    return jobs.request(tenant.tenantId(), tenant.actor(), id, m).invoke(worker::kick);
  }

  @GET
  @Path("/{id}/jobs")
  public Uni<List<JobView>> jobs(@PathParam("id") UUID id, @QueryParam("limit") @DefaultValue("20") int limit) {
    if (limit < 1 || limit > 200) {
      throw ProblemException.invalid(List.of(new Problem.FieldError("limit", "must be between 1 and 200")));
    }
    return jobs.list(tenant.tenantId(), id, limit);
  }

  @GET
  @Path("/{id}/jobs/{jobId}")
  public Uni<JobView> job(@PathParam("id") UUID id, @PathParam("jobId") UUID jobId) {
    return jobs.get(tenant.tenantId(), id, jobId);
  }
}
