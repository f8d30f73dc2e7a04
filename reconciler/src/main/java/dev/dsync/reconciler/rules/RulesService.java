package dev.dsync.reconciler.rules;

import dev.dsync.events.Actor;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.audit.AuditRecord;
import dev.dsync.platform.errors.ProblemException;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.reconciler.directories.Directories;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Stores versioned rules and hands the pipeline the current compiled version of a directory. */
@ApplicationScoped
public class RulesService {

  private static final CompiledRules DEFAULTS = CompiledRules.compile(0, Rules.defaults());

  private final Map<String, CompiledRules> compiled = new ConcurrentHashMap<>();
  private final Directories directories;
  private final Outbox outbox;

  public RulesService(Directories directories, Outbox outbox) {
    this.directories = directories;
    this.outbox = outbox;
  }

  /** Inside the caller's session: the current rules of a directory (compiled versions are cached). */
  public Uni<CompiledRules> current(String directoryId) {
    return RulesVersion.<RulesVersion>find("directoryId = ?1 order by version desc", directoryId)
        .firstResult()
        .map(
            v -> {
              if (v == null) {
                return DEFAULTS;
              }
              return compiled.computeIfAbsent(
                  directoryId + "#" + v.version, k -> CompiledRules.compile(v.version, EventJson.read(v.document, Rules.class)));
            });
  }

  /** The pipeline's form, on its reactive SQL connection. */
  public Uni<CompiledRules> current(SqlClient conn, String directoryId) {
    return conn.preparedQuery("select version, document from rules_version where directory_id = $1 order by version desc limit 1")
        .execute(Tuple.of(directoryId))
        .map(rows -> {
          if (rows.size() == 0) {
            return DEFAULTS;
          }
          var row = rows.iterator().next();
          int version = row.getInteger(0);
          return compiled.computeIfAbsent(directoryId + "#" + version, k -> CompiledRules.compile(version, EventJson.read(row.getString(1), Rules.class)));
        });
  }

  /** A stored version as the API shows it. */
  public record VersionView(int version, Instant createdAt, String createdBy, Rules rules) {}

  /** The current version and every earlier one, newest first. */
  public record RulesView(String directoryId, VersionView current, List<VersionView> history) {}

  @WithSession
  public Uni<RulesView> get(String tenantId, String directoryId) {
    return directories
        .requireOwned(tenantId, directoryId)
        .chain(() -> RulesVersion.<RulesVersion>find("directoryId = ?1 order by version desc", directoryId).list())
        .map(
            versions -> {
              List<VersionView> views = versions.stream().map(RulesService::view).toList();
              VersionView current = views.isEmpty() ? new VersionView(0, null, null, Rules.defaults()) : views.get(0);
              return new RulesView(directoryId, current, views);
            });
  }

  /** Validates and stores a new version (the previous ones stay), audited in the same transaction. */
  @WithTransaction
  public Uni<VersionView> put(String tenantId, String directoryId, Rules rules, Actor actor) {
    var errors = Rules.validate(rules);
    if (!errors.isEmpty()) {
      return Uni.createFrom().failure(ProblemException.invalid(errors));
    }
    return directories
        .claim(tenantId, directoryId)
        .chain(() -> RulesVersion.<RulesVersion>find("directoryId = ?1 order by version desc", directoryId).<RulesVersion>firstResult())
        .chain(
            (RulesVersion latest) -> {
              RulesVersion v = new RulesVersion();
              v.directoryId = directoryId;
              v.tenantId = tenantId;
              v.version = latest == null ? 1 : latest.version + 1;
              v.document = EventJson.write(rules);
              v.createdAt = Instant.now();
              v.createdBy = actor.id();
              AuditRecord audit =
                  new AuditRecord(
                      actor, "rules.updated", "directory", directoryId, AuditRecord.Outcome.SUCCESS, v.createdAt,
                      Map.of("version", v.version));
              return v.<RulesVersion>persist()
                  .chain(() -> outbox.append(OutboxMessage.of(EventType.AUDIT_RECORD, tenantId, tenantId, directoryId, directoryId, audit)))
                  .replaceWith(view(v));
            });
  }

  private static VersionView view(RulesVersion v) {
    return new VersionView(v.version, v.createdAt, v.createdBy, EventJson.read(v.document, Rules.class));
  }
}
