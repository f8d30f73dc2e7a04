package dev.dsync.platform.outbox;

import dev.dsync.events.EventJson;
import dev.dsync.events.TimeOrderedIds;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Appends events to the outbox inside the caller's Hibernate Reactive transaction, so the state
 * change and its events commit together or not at all. Call it from a method that owns the
 * transaction ({@code @WithTransaction} or {@code Panache.withTransaction}).
 */
@ApplicationScoped
public class Outbox {

  /** Buckets rows are spread over by key; must match nothing else (it is not persisted config). */
  static final int BUCKETS = 16;

  /**
   * A batch row of key bucket b is stored with bucket {@code b + BATCH_BUCKETS}: a relay of an
   * earlier version claims only buckets 0-15 and reads only {@code payload}, so during a rolling
   * upgrade it would have published a batch row as one null record (a tombstone) and deleted it.
   * The relay reads both of b's bucket values, in seq order, under b's lock.
   */
  static final int BATCH_BUCKETS = BUCKETS;

  private static final String INSERT =
      "insert into outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source,"
          + " subject, tenant_id, directory_id, traceparent, bucket)"
          + " values (:id, :aggregatetype, :aggregateid, :type, cast(:payload as text), :topic,"
          + " :source, :subject, :tenant, :directory, :traceparent,"
          + " (hashtext(:aggregateid) & 2147483647) % "
          + BUCKETS
          + ")";

  private static final String INSERT_POSITIONAL =
      "insert into outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source,"
          + " subject, tenant_id, directory_id, traceparent, bucket)"
          + " values ($1, $2, $3, $4, cast($5 as text), $6, $7, $8, $9, $10, $11,"
          + " (hashtext($3) & 2147483647) % "
          + BUCKETS
          + ")";

  private static final String INSERT_UNNEST =
      "insert into outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source,"
          + " subject, tenant_id, directory_id, traceparent, bucket)"
          + " select u.id, u.topic, u.key, u.type, u.payload, u.topic, $9, u.subject, u.tenant, u.directory, $10,"
          + " (hashtext(u.key) & 2147483647) % "
          + BUCKETS
          + " from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])"
          + " with ordinality as u(id, topic, key, type, payload, subject, tenant, directory, ord) order by u.ord";

  private final OutboxConfig config;

  public Outbox(OutboxConfig config) {
    this.config = config;
  }

  public Uni<UUID> append(OutboxMessage message) {
    return Panache.getSession()
        .chain(
            session ->
                session
                    .createNativeQuery(INSERT)
                    .setParameter("id", message.id())
                    .setParameter("aggregatetype", message.type().topic().topicName())
                    .setParameter("aggregateid", message.key())
                    .setParameter("type", message.type().type())
                    .setParameter("payload", payload(message))
                    .setParameter("topic", message.type().topic().topicName())
                    .setParameter("source", config.source())
                    .setParameter("subject", message.subject())
                    .setParameter("tenant", message.tenantId())
                    .setParameter("directory", message.directoryId())
                    .setParameter("traceparent", traceparent())
                    .executeUpdate())
        .replaceWith(message.id());
  }

  /**
   * Appends an event through a Vert.x SQL connection that is inside a transaction, for services
   * that use the reactive PostgreSQL client directly rather than Hibernate Reactive.
   */
  public Uni<UUID> append(SqlClient tx, OutboxMessage message) {
    // Deferred: a payload refused as too large fails the Uni, not the caller's assembly.
    return Uni.createFrom().deferred(() -> appendNow(tx, message));
  }

  private Uni<UUID> appendNow(SqlClient tx, OutboxMessage message) {
    return tx.preparedQuery(INSERT_POSITIONAL)
        .execute(
            Tuple.from(
                new Object[] {
                  message.id(),
                  message.type().topic().topicName(),
                  message.key(),
                  message.type().type(),
                  payload(message),
                  message.type().topic().topicName(),
                  config.source(),
                  message.subject(),
                  message.tenantId(),
                  message.directoryId(),
                  traceparent()
                }))
        .replaceWith(message.id());
  }

  /**
   * Appends several events in order through a Vert.x SQL connection inside a transaction; a list of
   * {@value #BATCH_MIN} or more is written as batch rows (see {@link OutboxBatch}).
   */
  public Uni<Void> appendAll(SqlClient tx, List<OutboxMessage> messages) {
    if (messages.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return Uni.createFrom().deferred(() -> appendAllNow(tx, messages));
  }

  private Uni<Void> appendAllNow(SqlClient tx, List<OutboxMessage> messages) {
    if (messages.size() >= BATCH_MIN) {
      return appendBatched(tx, messages);
    }
    // One statement: the rows leave unnest in list order, so seq (the column default) follows it.
    int n = messages.size();
    UUID[] ids = new UUID[n];
    String[] topics = new String[n], keys = new String[n], types = new String[n], payloads = new String[n], subjects = new String[n],
        tenants = new String[n], directories = new String[n];
    for (int i = 0; i < n; i++) {
      OutboxMessage m = messages.get(i);
      ids[i] = m.id();
      topics[i] = m.type().topic().topicName();
      keys[i] = m.key();
      types[i] = m.type().type();
      payloads[i] = payload(m);
      subjects[i] = m.subject();
      tenants[i] = m.tenantId();
      directories[i] = m.directoryId();
    }
    return tx.preparedQuery(INSERT_UNNEST)
        .execute(Tuple.from(new Object[] {ids, topics, keys, types, payloads, subjects, tenants, directories, config.source(), traceparent()}))
        .replaceWithVoid();
  }

  /** Lists at least this long are appended as batch rows. */
  static final int BATCH_MIN = 8;
  /** Most events in one batch row (a claim takes whole rows; its first row whatever the claim's size). */
  static final int BATCH_MAX_EVENTS = 256;
  /** A batch row is cut before an event that starts past this many (uncompressed) bytes of it. */
  static final int BATCH_MAX_BYTES = 512 * 1024;

  private static final String BUCKETS_OF =
      "select (hashtext(k) & 2147483647) % " + BUCKETS + " from unnest($1::text[]) with ordinality as u(k, ord) order by ord";

  // seq (the column default) follows unnest's order: a bucket's batch rows keep the list's order.
  private static final String INSERT_BATCHES =
      "insert into outbox_event (id, aggregatetype, aggregateid, type, topic, source, tenant_id, directory_id, traceparent, bucket,"
          + " batch_size, batch, batch_bytes)"
          + " select u.id, 'batch', u.key, 'dsync.outbox.batch', u.topic, $7, u.tenant, u.directory, $8, u.bucket, u.size, u.batch, u.bytes"
          + " from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bytea[], $9::int[], $10::text[], $11::int[])"
          + " with ordinality as u(id, key, topic, tenant, bucket, batch, size, directory, bytes, ord) order by u.ord";

  /**
   * A long list as batch rows: its events grouped by bucket (PostgreSQL's hash, the one a plain
   * row's bucket comes from, so a key's events stay in one bucket whichever way they were
   * appended), cut by count and size, each row's events in the list's order, compressed here.
   */
  private Uni<Void> appendBatched(SqlClient tx, List<OutboxMessage> messages) {
    // The caller's span, read now: after the first round trip the callback may run elsewhere.
    String traceparent = traceparent();
    // Payloads first: one refused as too large fails the append before anything is asked of PostgreSQL.
    List<byte[]> payloads = new ArrayList<>(messages.size());
    for (OutboxMessage m : messages) {
      payloads.add(payloadBytes(m, config.maxPayloadBytes()));
    }
    Map<String, Integer> bucketOf = new LinkedHashMap<>();
    messages.forEach(m -> bucketOf.put(m.key(), null));
    String[] keys = bucketOf.keySet().toArray(String[]::new);
    return tx.preparedQuery(BUCKETS_OF).execute(Tuple.of(keys)).chain(rows -> {
      int k = 0;
      for (Row row : rows) {
        bucketOf.put(keys[k++], row.getInteger(0));
      }
      return tx.preparedQuery(INSERT_BATCHES).execute(batches(messages, payloads, bucketOf, traceparent)).replaceWithVoid();
    });
  }

  private Tuple batches(List<OutboxMessage> messages, List<byte[]> payloads, Map<String, Integer> bucketOf, String traceparent) {
    List<List<Integer>> byBucket = new ArrayList<>();
    for (int b = 0; b < BUCKETS; b++) {
      byBucket.add(new ArrayList<>());
    }
    for (int i = 0; i < messages.size(); i++) {
      byBucket.get(bucketOf.get(messages.get(i).key())).add(i);
    }
    List<UUID> ids = new ArrayList<>();
    // A batch row's key, topic, tenant and directory are its first event's (for a reader of the table).
    List<String> keys = new ArrayList<>(), topics = new ArrayList<>(), tenants = new ArrayList<>(), directories = new ArrayList<>();
    List<Integer> buckets = new ArrayList<>(), sizes = new ArrayList<>(), bytes = new ArrayList<>();
    List<Buffer> batches = new ArrayList<>();
    // One writer for every row: its buffer grows to a row's size once, not for each row.
    OutboxBatch.Writer batch = new OutboxBatch.Writer();
    for (int b = 0; b < BUCKETS; b++) {
      List<Integer> members = byBucket.get(b);
      int i = 0;
      while (i < members.size()) {
        OutboxMessage first = messages.get(members.get(i));
        batch.reset();
        while (i < members.size() && batch.count() < BATCH_MAX_EVENTS && (batch.count() == 0 || batch.size() < BATCH_MAX_BYTES)) {
          int at = members.get(i++);
          OutboxMessage m = messages.get(at);
          batch.append(m.id(), m.type().type(), m.type().topic().topicName(), m.key(), m.subject(), m.tenantId(), m.directoryId(),
              payloads.get(at));
        }
        ids.add(TimeOrderedIds.next());
        keys.add(first.key());
        topics.add(first.type().topic().topicName());
        tenants.add(first.tenantId());
        directories.add(first.directoryId());
        buckets.add(b + BATCH_BUCKETS);
        batches.add(Buffer.buffer(batch.compress()));
        sizes.add(batch.count());
        bytes.add(batch.size());
      }
    }
    return Tuple.from(new Object[] {
        ids.toArray(UUID[]::new), keys.toArray(String[]::new), topics.toArray(String[]::new), tenants.toArray(String[]::new),
        buckets.toArray(Integer[]::new), batches.toArray(Buffer[]::new), config.source(), traceparent,
        sizes.toArray(Integer[]::new), directories.toArray(String[]::new), bytes.toArray(Integer[]::new)});
  }

  /**
   * Appends several events in order (per key, the relay publishes them in this order), up to
   * {@value #ROWS_PER_INSERT} per statement: one round trip per chunk instead of one per event.
   * Rows get their {@code seq} from the column default as the sorted VALUES reach the insert, so
   * the order of the list is the publishing order.
   */
  public Uni<Void> appendAll(List<OutboxMessage> messages) {
    if (messages.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    List<List<OutboxMessage>> chunks = new ArrayList<>();
    for (int i = 0; i < messages.size(); i += ROWS_PER_INSERT) {
      chunks.add(messages.subList(i, Math.min(messages.size(), i + ROWS_PER_INSERT)));
    }
    String traceparent = traceparent();
    return Multi.createFrom().iterable(chunks).onItem().transformToUniAndConcatenate(chunk -> insertChunk(chunk, traceparent))
        .collect().last().replaceWithVoid();
  }

  static final int ROWS_PER_INSERT = 50;

  private Uni<Integer> insertChunk(List<OutboxMessage> chunk, String traceparent) {
    StringBuilder sql = new StringBuilder(
        "insert into outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source, subject, tenant_id, directory_id, traceparent, bucket)"
            + " select id, aggregatetype, aggregateid, type, payload, topic, source, subject, tenant_id, directory_id, traceparent,"
            + " (hashtext(aggregateid) & 2147483647) % " + BUCKETS
            + " from (values ");
    for (int i = 0; i < chunk.size(); i++) {
      sql.append(i == 0 ? "" : ", ")
          .append("(").append(i).append(", cast(:id").append(i).append(" as uuid), cast(:at").append(i).append(" as text), cast(:key").append(i)
          .append(" as text), cast(:type").append(i).append(" as text), cast(:payload").append(i).append(" as text), cast(:topic").append(i)
          .append(" as text), cast(:source as text), cast(:subject").append(i).append(" as text), cast(:tenant").append(i)
          .append(" as text), cast(:directory").append(i).append(" as text), cast(:traceparent as text))");
    }
    sql.append(") as v(ord, id, aggregatetype, aggregateid, type, payload, topic, source, subject, tenant_id, directory_id, traceparent) order by ord");
    return Panache.getSession()
        .chain(session -> {
          var q = session.createNativeQuery(sql.toString()).setParameter("source", config.source()).setParameter("traceparent", traceparent);
          for (int i = 0; i < chunk.size(); i++) {
            OutboxMessage m = chunk.get(i);
            q.setParameter("id" + i, m.id())
                .setParameter("at" + i, m.type().topic().topicName())
                .setParameter("key" + i, m.key())
                .setParameter("type" + i, m.type().type())
                .setParameter("payload" + i, payload(m))
                .setParameter("topic" + i, m.type().topic().topicName())
                .setParameter("subject" + i, m.subject())
                .setParameter("tenant" + i, m.tenantId())
                .setParameter("directory" + i, m.directoryId());
          }
          return q.executeUpdate();
        });
  }

  private String payload(OutboxMessage message) {
    return payload(message, config.maxPayloadBytes());
  }

  /** The message's payload as stored in a text column (null: a tombstone); refused past {@code limit} UTF-8 bytes. */
  public static String payload(OutboxMessage message, int limit) {
    if (message.isTombstone()) {
      return null;
    }
    if (message.data() instanceof JsonText text) {
      checkSize(message, text.utf8().length, limit);
      return text.json();
    }
    String json = EventJson.write(message.data());
    // A char is at most 3 UTF-8 bytes: only a long text needs counting.
    if (json.length() > limit / 3) {
      int bytes = json.getBytes(StandardCharsets.UTF_8).length;
      checkSize(message, bytes, limit);
    }
    return json;
  }

  /** The message's payload as the UTF-8 bytes a batch row keeps (null: a tombstone); refused past {@code limit}. */
  static byte[] payloadBytes(OutboxMessage message, int limit) {
    if (message.isTombstone()) {
      return null;
    }
    byte[] json = message.data() instanceof JsonText text ? text.utf8() : EventJson.writeBytes(message.data());
    checkSize(message, json.length, limit);
    return json;
  }

  private static void checkSize(OutboxMessage message, int bytes, int limit) {
    if (bytes > limit) {
      throw new PayloadTooLargeException(message.type().type(), bytes, limit);
    }
  }

  /** W3C traceparent of the current span, so the Kafka hop continues the request's trace. */
  private static String traceparent() {
    SpanContext ctx = Span.current().getSpanContext();
    if (!ctx.isValid()) {
      return null;
    }
    return "00-" + ctx.getTraceId() + "-" + ctx.getSpanId() + "-" + ctx.getTraceFlags().asHex();
  }
}
