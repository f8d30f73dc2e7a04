package dev.dsync.reconciler.pipeline;

import dev.dsync.events.EventType;
import dev.dsync.events.identity.DirectoryEventData;
import dev.dsync.events.source.DirectoryChanged;
import dev.dsync.events.source.GroupDeleted;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.GroupUpserted;
import dev.dsync.events.source.SyncJobCompleted;
import dev.dsync.events.source.SyncJobFailed;
import dev.dsync.events.source.SyncJobStarted;
import dev.dsync.events.source.UserDeleted;
import dev.dsync.events.source.UserUpserted;
import dev.dsync.platform.inbox.Inbox;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.reconciler.config.ReconcilerConfig;
import dev.dsync.reconciler.directories.Directories;
import dev.dsync.reconciler.jobs.SyncJobService;
import dev.dsync.reconciler.rules.RulesService;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The pipeline's entry: applies a batch of source changes in one transaction together with their
 * processed-event ids (inbox) and the identity events they cause (outbox), in order. A batch that
 * fails is retried change by change; a change that can never apply is kept in failed_event.
 */
@ApplicationScoped
public class Reconciler {

  private final Inbox inbox;
  private final Outbox outbox;
  private final Directories directories;
  private final RulesService rules;
  private final ChangeApplier applier;
  private final SyncJobService jobs;
  private final ReconcilerConfig config;
  private final MeterRegistry registry;
  private final Pool pool;

  public Reconciler(
      Inbox inbox, Outbox outbox, Directories directories, RulesService rules, ChangeApplier applier,
      SyncJobService jobs, ReconcilerConfig config, MeterRegistry registry, Pool pool) {
    this.pool = pool;
    this.inbox = inbox;
    this.outbox = outbox;
    this.directories = directories;
    this.rules = rules;
    this.applier = applier;
    this.jobs = jobs;
    this.config = config;
    this.registry = registry;
  }

  /** A consumed record: a parsed change, or why it could not be parsed. */
  public record Received(UUID eventId, SourceChange change, String rejection, String tenantId, String directoryId, String type, String raw) {
    public static Received ok(SourceChange c) {
      return new Received(c.eventId(), c, null, c.tenantId(), c.directoryId(), c.type().type(), null);
    }
  }

  /** Applies the batch; answers only once everything it did is committed. */
  public Uni<Void> process(List<Received> batch) {
    return pool.withTransaction(conn -> applyAll(new Store(conn), batch))
        .onFailure()
        .recoverWithUni(
            failure -> {
              if (batch.size() == 1) {
                return recordOrRethrow(batch.get(0), failure);
              }
              Log.debugf("batch of %d failed (%s); retrying one by one", batch.size(), failure.toString());
              Uni<Void> chain = Uni.createFrom().voidItem();
              for (Received r : batch) {
                chain = chain.chain(() -> pool.withTransaction(conn -> applyAll(new Store(conn), List.of(r))).onFailure().recoverWithUni(f -> recordOrRethrow(r, f)));
              }
              return chain;
            });
  }

  private Uni<Void> applyAll(Store store, List<Received> batch) {
    Map<String, DirectoryTx> open = new LinkedHashMap<>();
    for (Received r : batch) {
      if (r.change() == null) {
        return Uni.createFrom().failure(new RejectedChange(r.rejection())); // applied one by one, this one recorded as failed
      }
    }
    List<UUID> ids = batch.stream().map(Received::eventId).toList();
    List<List<Received>> chunks = new ArrayList<>();
    for (int i = 0; i < batch.size(); i += CHUNK) {
      chunks.add(batch.subList(i, Math.min(batch.size(), i + CHUNK)));
    }
    return inbox.firstDeliveries(store.connection(), config.groupId(), ids)
        .chain(fresh -> Steps.forEach(chunks, chunk -> prefetch(store, open, chunk)
            .chain(() -> Steps.forEach(chunk, r -> one(store, open, r, fresh.remove(r.eventId()))))
            .chain(store::flushAndForget)
            .invoke(() -> open.values().forEach(DirectoryTx::forgetMapped))))
        .chain(() -> finish(open.values()));
  }

  /** Reads, per directory, what the chunk's changes will look up (see {@link ChangeApplier#prefetch}). */
  private Uni<Void> prefetch(Store store, Map<String, DirectoryTx> open, List<Received> chunk) {
    Map<String, List<Received>> byDirectory = new LinkedHashMap<>();
    for (Received r : chunk) {
      // A job's changes are staged, not applied now: reading ahead for them is wasted work.
      if (jobId(r.change()) == null) {
        byDirectory.computeIfAbsent(r.change().directoryId(), d -> new ArrayList<>()).add(r);
      }
    }
    return Steps.forEach(List.copyOf(byDirectory.values()), changes -> {
      SourceChange first = changes.get(0).change();
      return directory(store, open, first.tenantId(), first.directoryId())
          .chain(tx -> applier.prefetch(tx, changes.stream().map(Received::change).toList()));
    });
  }

  /** Changes read ahead and written back together; rows are forgotten between chunks to bound memory. */
  private static final int CHUNK = 250;

  private Uni<Void> finish(Iterable<DirectoryTx> txs) {
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (DirectoryTx tx : txs) {
      chain = chain.chain(() -> commitDirectory(tx));
    }
    return chain;
  }

  /** Writes a directory's sequence and appends its events; call last in the transaction. */
  public Uni<Void> commitDirectory(DirectoryTx tx) {
    return tx.store.flush()
        .chain(() -> directories.advance(tx.store.connection(), tx.directoryId, tx.sequence(), tx.stale()))
        .chain(() -> outbox.appendAll(tx.store.connection(), tx.drain()));
  }

  private Uni<Void> one(Store store, Map<String, DirectoryTx> open, Received r, boolean first) {
    if (!first) {
      count(Outcome.IGNORED);
      return Uni.createFrom().voidItem();
    }
    SourceChange c = r.change();
    return directory(store, open, c.tenantId(), c.directoryId()).chain(tx -> route(tx, c)).invoke(this::count).replaceWithVoid();
  }

  /** Locks the directory once per transaction and loads its current rules. */
  public Uni<DirectoryTx> directory(Store store, Map<String, DirectoryTx> open, String tenantId, String directoryId) {
    return directory(store, open, tenantId, directoryId, null);
  }

  /**
   * As {@link #directory(Store, Map, String, String)}, for a transaction that applies a page of
   * {@code applyingJob} (null: any other work, which a directory applying a job refuses).
   */
  private Uni<DirectoryTx> directory(Store store, Map<String, DirectoryTx> open, String tenantId, String directoryId, String applyingJob) {
    DirectoryTx known = open.get(directoryId);
    if (known != null) {
      if (!known.tenantId.equals(tenantId)) {
        throw new RejectedChange("directory " + directoryId + " belongs to another tenant");
      }
      return Uni.createFrom().item(known);
    }
    return directories
        .lock(store.connection(), tenantId, directoryId)
        .chain(
            locked -> {
              if (locked == null) {
                throw new RejectedChange("directory " + directoryId + " belongs to another tenant");
              }
              if (locked.applyingJob() != null && !locked.applyingJob().equals(applyingJob)) {
                throw new DirectoryBusyException(directoryId, locked.applyingJob());
              }
              return rules.current(store.connection(), directoryId)
                  .map(compiled -> new DirectoryTx(tenantId, directoryId, compiled, locked.sequence(), store));
            })
        .invoke(tx -> open.put(directoryId, tx));
  }

  private Uni<Outcome> route(DirectoryTx tx, SourceChange c) {
    return switch (c.type()) {
      case SOURCE_SYNC_JOB_STARTED -> jobs.started(tx, c.data(SyncJobStarted.class)).replaceWith(Outcome.IGNORED);
      case SOURCE_SYNC_JOB_COMPLETED -> jobs.completed(tx, c.data(SyncJobCompleted.class)).replaceWith(Outcome.IGNORED);
      case SOURCE_SYNC_JOB_FAILED -> jobs.failed(tx, c.data(SyncJobFailed.class)).replaceWith(Outcome.IGNORED);
      case SOURCE_DIRECTORY_CHANGED -> directoryChanged(tx, c.data(DirectoryChanged.class));
      default -> change(tx, c);
    };
  }

  private Uni<Outcome> change(DirectoryTx tx, SourceChange c) {
    String jobId = jobId(c);
    String resourceId = resourceId(c);
    Uni<Boolean> staged = jobId == null ? Uni.createFrom().item(false) : jobs.stageIfRunning(tx, c, jobId, resourceId);
    return staged.chain(
        s -> {
          if (s) {
            return Uni.createFrom().item(Outcome.STAGED);
          }
          return jobs.holdPush(tx, c, resourceId).chain(held -> held ? Uni.createFrom().item(Outcome.STAGED) : applier.apply(tx, c));
        });
  }

  private Uni<Outcome> directoryChanged(DirectoryTx tx, DirectoryChanged d) {
    EventType type =
        switch (d.change()) {
          case CREATED, ACTIVATED -> EventType.DIRECTORY_ACTIVATED;
          case DEACTIVATED -> EventType.DIRECTORY_DEACTIVATED;
          case DELETED -> EventType.DIRECTORY_DELETED;
          case UPDATED -> null;
        };
    if (type != null) {
      long seq = tx.nextSequence();
      tx.emit(
          OutboxMessage.of(
              type, tx.directoryId, tx.tenantId, tx.directoryId, tx.directoryId,
              new DirectoryEventData(seq, tx.directoryId, tx.tenantId, d.name(), d.state() == null ? null : d.state().name())));
    }
    return tx.store.connection()
        .preparedQuery("update directory_state set name = $2, status = coalesce($3, status) where directory_id = $1")
        .execute(Tuple.of(tx.directoryId, d.name(), d.state() == null ? null : d.state().name()))
        .replaceWith(Outcome.IGNORED);
  }

  private Uni<Void> recordOrRethrow(Received r, Throwable failure) {
    if (!poison(failure)) {
      return Uni.createFrom().failure(failure);
    }
    if (refusedByDatabase(failure)) {
      // No source data is known to cause one: more likely a fault of the reconciler's own writes.
      Log.errorf("source event %s (%s) cannot be applied, PostgreSQL refused its write: %s", r.eventId(), r.type(), failure.getMessage());
    } else {
      Log.warnf("source event %s (%s) cannot be applied: %s", r.eventId(), r.type(), failure.getMessage());
    }
    count(Outcome.FAILED);
    return pool.withTransaction(
        conn ->
            inbox
                .firstDelivery(conn, config.groupId(), r.eventId())
                .chain(
                    first ->
                        !first
                            ? Uni.createFrom().voidItem()
                            : conn.preparedQuery(INSERT_FAILED_EVENT)
                                .execute(Tuple.from(new Object[] {
                                  r.eventId(), r.tenantId(), r.directoryId(), r.type(), String.valueOf(failure.getMessage()),
                                  r.change() != null ? r.change().json() : r.raw()}))
                                .replaceWithVoid()));
  }

  /** Keeps a change that can never apply: event id, tenant, directory, type, reason, payload. */
  public static final String INSERT_FAILED_EVENT =
      "insert into failed_event (event_id, tenant_id, directory_id, type, reason, payload) values ($1, $2, $3, $4, $5, $6) on conflict do nothing";

  /**
   * Failures that retrying cannot fix: the change itself is wrong, or PostgreSQL refuses what it
   * writes. Anything else (a lost connection, a deadlock, the broker) is retried.
   */
  public static boolean poison(Throwable f) {
    return f instanceof RejectedChange
        || f instanceof dev.dsync.platform.outbox.PayloadTooLargeException // an identity event Kafka would refuse
        || f instanceof IllegalArgumentException
        || f instanceof NullPointerException
        || f instanceof ClassCastException
        || f instanceof java.io.UncheckedIOException
        || refusedByDatabase(f);
  }

  /**
   * PostgreSQL refusing what a change would write: a data exception (class 22) or an integrity
   * constraint violation (class 23, such as a duplicate key). Written again, the same change is
   * refused again: as any other failure it was retried as a whole, forever, holding the directory
   * (and for a job page, the consumer's partition). A change that fails only beside others (two
   * transactions racing for one key) is applied on its own first; only one refused alone is kept as
   * failed.
   */
  public static boolean refusedByDatabase(Throwable f) {
    if (!(f instanceof io.vertx.pgclient.PgException pg) || pg.getSqlState() == null) {
      return false;
    }
    String state = pg.getSqlState();
    return state.startsWith("22") || state.startsWith("23");
  }

  private void count(Outcome o) {
    registry.counter("dsync.reconciler.changes", "outcome", o.name().toLowerCase()).increment();
  }

  static String jobId(SourceChange c) {
    Object d = c.data();
    if (d instanceof UserUpserted u) {
      return u.jobId();
    } else if (d instanceof UserDeleted u) {
      return u.jobId();
    } else if (d instanceof GroupUpserted g) {
      return g.jobId();
    } else if (d instanceof GroupDeleted g) {
      return g.jobId();
    } else if (d instanceof GroupMembershipChanged m) {
      return m.jobId();
    }
    return null;
  }

  static String resourceId(SourceChange c) {
    Object d = c.data();
    if (d instanceof UserUpserted u) {
      return u.resourceId();
    } else if (d instanceof UserDeleted u) {
      return u.resourceId();
    } else if (d instanceof GroupUpserted g) {
      return g.resourceId();
    } else if (d instanceof GroupDeleted g) {
      return g.resourceId();
    } else if (d instanceof GroupMembershipChanged m) {
      return m.groupId();
    }
    return null;
  }

  /** For admin operations: in a transaction of its own, runs {@code work} on the locked directory and commits its effects and events. */
  public <T> Uni<T> withDirectory(String tenantId, String directoryId, Function<DirectoryTx, Uni<T>> work) {
    return withDirectory(tenantId, directoryId, null, work);
  }

  /** As {@link #withDirectory(String, String, Function)}, for a page of the job the directory is applying. */
  public <T> Uni<T> withDirectory(String tenantId, String directoryId, String applyingJob, Function<DirectoryTx, Uni<T>> work) {
    // A user another transaction changed meanwhile (another directory feeding it): the work runs
    // again in a new transaction, on the row as it is now.
    return pool.withTransaction(conn -> {
          Map<String, DirectoryTx> open = new LinkedHashMap<>();
          return directory(new Store(conn), open, tenantId, directoryId, applyingJob).chain(tx -> work.apply(tx).call(() -> commitDirectory(tx)));
        })
        .onFailure(Reconciler::concurrent).retry().atMost(CONCURRENT_UPDATE_RETRIES);
  }

  /**
   * A transaction that met another: a user changed since it was read, or PostgreSQL ending one of
   * two transactions waiting for each other (40P01: the correlation lock and a user's row, taken in
   * the other order) or a serialization failure (40001). Run again, it goes through.
   */
  static boolean concurrent(Throwable f) {
    if (f instanceof ConcurrentUpdateException) {
      return true;
    }
    return f instanceof io.vertx.pgclient.PgException pg && ("40P01".equals(pg.getSqlState()) || "40001".equals(pg.getSqlState()));
  }

  /** Further runs of a transaction that met another, before its caller sees the failure (and retries later, or answers 409). */
  static final int CONCURRENT_UPDATE_RETRIES = 5;
}
