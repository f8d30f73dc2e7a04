package dev.dsync.reconciler.directories;

import dev.dsync.platform.errors.ProblemException;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Which tenant owns a directory. The first event or rules change fixes it; after that another
 * tenant's use of the id is "not found" for the API and a rejected change for the pipeline.
 */
@ApplicationScoped
public class Directories {

  /** The locked directory row: its tenant, current sequence, and the job being applied (null if none). */
  public record Locked(String tenantId, long sequence, String applyingJob) {}

  /** Inside a transaction: registers the directory for the tenant if new, locks its row. Null if another tenant owns it. */
  public Uni<Locked> lock(String tenantId, String directoryId) {
    return Panache.getSession()
        .chain(
            s ->
                s.createNativeQuery(
                        "insert into directory_state (directory_id, tenant_id) values (:d, :t) on conflict do nothing")
                    .setParameter("d", directoryId)
                    .setParameter("t", tenantId)
                    .executeUpdate()
                    .chain(
                        () ->
                            s.createNativeQuery(
                                    "select tenant_id, sequence from directory_state where directory_id = :d for update",
                                    Object[].class)
                                .setParameter("d", directoryId)
                                .getSingleResult()))
        .map(row -> tenantId.equals(row[0]) ? new Locked((String) row[0], ((Number) row[1]).longValue(), null) : null);
  }

  /** The pipeline's form, on its reactive SQL connection: registers the directory if new, locks its row; null if another tenant owns it. */
  public Uni<Locked> lock(SqlClient conn, String tenantId, String directoryId) {
    // One round trip: the upsert locks the row whether it inserted it or found it.
    return conn.preparedQuery(
            "insert into directory_state (directory_id, tenant_id) values ($1, $2)"
                + " on conflict (directory_id) do update set directory_id = excluded.directory_id returning tenant_id, sequence, applying_job")
        .execute(Tuple.of(directoryId, tenantId))
        .map(rows -> {
          var row = rows.iterator().next();
          return tenantId.equals(row.getString(0)) ? new Locked(row.getString(0), row.getLong(1), row.getString(2)) : null;
        });
  }

  /** Names the job being applied (null: none), inside the transaction that holds the directory's lock. */
  public Uni<Void> applying(SqlClient conn, String directoryId, String jobId) {
    return conn.preparedQuery("update directory_state set applying_job = $2 where directory_id = $1")
        .execute(Tuple.of(directoryId, jobId))
        .replaceWithVoid();
  }

  public Uni<Void> advance(SqlClient conn, String directoryId, long sequence, long stale) {
    return conn.preparedQuery(
            "update directory_state set sequence = $2, stale_count = stale_count + $3, updated_at = now() where directory_id = $1")
        .execute(Tuple.of(directoryId, sequence, stale))
        .replaceWithVoid();
  }

  /** Stores the sequence reached and stale changes counted by a transaction. */
  public Uni<Void> advance(String directoryId, long sequence, long stale) {
    return Panache.getSession()
        .chain(
            s ->
                s.createNativeQuery(
                        "update directory_state set sequence = :s, stale_count = stale_count + :st, updated_at = now()"
                            + " where directory_id = :d")
                    .setParameter("s", sequence)
                    .setParameter("st", stale)
                    .setParameter("d", directoryId)
                    .executeUpdate())
        .replaceWithVoid();
  }

  /** For the admin API: registers the directory to the tenant if unknown; 404 if another tenant's. */
  public Uni<Void> claim(String tenantId, String directoryId) {
    return lock(tenantId, directoryId)
        .map(
            locked -> {
              if (locked == null) {
                throw ProblemException.notFound("directory", directoryId);
              }
              return null;
            });
  }

  /** For read APIs: 404 unless the tenant owns the directory (an unknown directory has default rules). */
  public Uni<Void> requireOwned(String tenantId, String directoryId) {
    return DirectoryState.<DirectoryState>findById(directoryId)
        .map(
            d -> {
              if (d != null && !d.tenantId.equals(tenantId)) {
                throw ProblemException.notFound("directory", directoryId);
              }
              return null;
            });
  }

  public Uni<List<DirectoryState>> ofTenant(String tenantId) {
    return DirectoryState.list("tenantId", tenantId);
  }
}
