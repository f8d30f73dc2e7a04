package dev.dsync.platform.inbox;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Idempotent consumption: records the ids of applied events in the consumer's own transaction,
 * so an event redelivered after a crash (or re-sent by a relay) has no second effect.
 */
@ApplicationScoped
public class Inbox {

  private static final String RECORD =
      "insert into processed_event (consumer, event_id) values (:consumer, :id)"
          + " on conflict do nothing";

  /**
   * Inside the caller's transaction: answers true if {@code eventId} is new for {@code consumer}
   * (and records it), false if it was already applied.
   */
  public Uni<Boolean> firstDelivery(String consumer, UUID eventId) {
    return Panache.getSession()
        .chain(
            session ->
                session
                    .createNativeQuery(RECORD)
                    .setParameter("consumer", consumer)
                    .setParameter("id", eventId)
                    .executeUpdate())
        .map(inserted -> inserted == 1);
  }

  /**
   * Inside the caller's transaction, for a batch, on its reactive SQL connection: records the ids
   * not applied before and answers them (ids already applied, or repeated, are left out), in one
   * statement. An id another consumer recorded concurrently waits for that transaction and is
   * then left out (it was applied there) or recorded here (it rolled back).
   */
  public Uni<Set<UUID>> firstDeliveries(SqlClient tx, String consumer, List<UUID> eventIds) {
    Set<UUID> distinct = new LinkedHashSet<>(eventIds);
    if (distinct.isEmpty()) {
      return Uni.createFrom().item(Set.of());
    }
    return tx.preparedQuery(
            "insert into processed_event (consumer, event_id) select $1, unnest($2::uuid[]) on conflict do nothing returning event_id")
        .execute(Tuple.of(consumer, distinct.toArray(UUID[]::new)))
        .map(rows -> {
          Set<UUID> fresh = new HashSet<>();
          rows.forEach(r -> fresh.add(r.getUUID(0)));
          return fresh;
        });
  }

  /** As {@link #firstDelivery(String, UUID)}, through a Vert.x SQL connection inside a transaction. */
  public Uni<Boolean> firstDelivery(SqlClient tx, String consumer, UUID eventId) {
    return tx.preparedQuery(
            "insert into processed_event (consumer, event_id) values ($1, $2) on conflict do nothing")
        .execute(Tuple.of(consumer, eventId))
        .map(rows -> rows.rowCount() == 1);
  }

  /**
   * Runs {@code effect} in a new transaction unless the event was already applied; answers whether
   * it ran. The id and the effect commit together.
   */
  public Uni<Boolean> once(String consumer, UUID eventId, Supplier<Uni<?>> effect) {
    return Panache.withTransaction(
        () ->
            firstDelivery(consumer, eventId)
                .chain(first -> first ? effect.get().replaceWith(true) : Uni.createFrom().item(false)));
  }
}
