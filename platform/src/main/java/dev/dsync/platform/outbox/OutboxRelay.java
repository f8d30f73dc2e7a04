package dev.dsync.platform.outbox;

import dev.dsync.events.CloudEventAttributes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Publishes outbox rows to Kafka as CloudEvents (binary mode) and deletes them (or, with a
 * retention, marks them published and deletes them once it has passed). Woken by
 * PostgreSQL NOTIFY at commit, with a slow poll as a fallback. Replicas share the work: each claim
 * takes the key buckets no other relay holds (advisory locks) and their rows (FOR UPDATE SKIP
 * LOCKED), so per-key order holds. A crash after publishing and before marking re-sends the same
 * rows with the same ids; consumers deduplicate on {@code ce_id}.
 */
@ApplicationScoped
public class OutboxRelay {

  // A loop first takes its buckets (transaction-scoped advisory locks; a bucket another relay holds
  // is skipped), in a statement of its own: the rows are then read with a snapshot taken after the
  // locks, so a relay that just committed the same bucket's batch has its deletions seen. Holding
  // the bucket is what keeps a row to one relay, so no row lock is needed (locking each row wrote a
  // WAL record and dirtied its page once more before the delete).
  // The claim's statements then reuse generic plans, also in a service whose sessions plan every
  // statement with its parameters (the reconciler, the webhook dispatcher): planning them anew cost
  // PostgreSQL more than running them (reconciler, 500 pushes/s: 0.58 s of planning against 0.45 s
  // of execution in 25 s). The outbox is analyzed while it is empty, most of the time, and a generic
  // plan made from such statistics scanned the whole table per bucket, kept as a backlog grew until
  // the next analysis: without sequential scans the claim reads a bucket's oldest rows through the
  // (bucket, seq) index whatever the statistics (BacklogClaimTest). Both for the claim's transaction only.
  static final String TAKE_BUCKETS =
      "select coalesce(array_agg(b), '{}'), set_config('plan_cache_mode', 'auto', true), set_config('enable_seqscan', 'off', true)"
          + " from unnest($1::int[]) as b"
          + " where pg_try_advisory_xact_lock(hashtext(current_schema()), b)";

  /**
   * The bytes of payload a row brings into the relay: a plain row's payload, a batch row's events
   * before compression (the compressed size for a batch row written before V0_9).
   */
  private static final String PAYLOAD_BYTES = "coalesce(batch_bytes, octet_length(batch), octet_length(payload), 0)";

  /** The columns a claim returns: what a row's records are made of. */
  private static final String CLAIMED =
      "id, type, payload, topic, aggregateid, source, subject, tenant_id, directory_id, traceparent, \"timestamp\", seq, batch_size, batch";

  // Per held bucket, the oldest unpublished rows come from the (bucket, seq) partial index; with
  // "bucket in (...) order by seq" PostgreSQL sorted the whole backlog on every claim, so a large
  // backlog (a 100,000-user sync) drained in quadratic time (150-350 ms per claim, measured).
  // Buckets are visited one after another, each claim starting at the next one (fairness), until
  // $1 rows are picked: no bucket is read further than the batch needs (at most $1 rows, of which
  // those that fit $1 events are taken).
  // A batch row counts as its batch_size events: rows are taken, in the order visited, while they
  // fit in $1 events (the first row always: a batch row may hold more than a small batch size).
  // A key bucket b's rows are its plain rows (bucket b) and its batch rows (bucket b + 16), merged
  // by seq.
  // The rows' columns are read by those index scans and carried through, rather than looked up
  // again by id: a generic plan made while the outbox was nearly empty read that lookup through the
  // (bucket, seq) index, every unpublished row of it for each claim (60,450 rows over a 60,000-row
  // backlog, BacklogClaimTest).
  // Rows are also taken only while their payload bytes fit $4, the first row again always: the
  // event count alone let a claim of large events hold hundreds of megabytes. octet_length reads a
  // stored value's size from its header, without fetching or decompressing the value. Each row
  // also says how many rows were picked, so the relay knows whether the claim left any behind.
  static final String CLAIM =
      "with picked as (select p.*, o.pos from (select b, (b + $3::int) % "
          + Outbox.BUCKETS
          + " as pos from unnest($2::int[]) as b order by pos) o, lateral (select * from ("
          + "   (select " + CLAIMED + ", coalesce(batch_size, 1) as n, " + PAYLOAD_BYTES + " as sz from outbox_event where published_at is null and bucket = o.b"
          + "   order by seq limit $1)"
          + "   union all (select " + CLAIMED + ", coalesce(batch_size, 1) as n, " + PAYLOAD_BYTES + " as sz from outbox_event where published_at is null and bucket = o.b + "
          + Outbox.BATCH_BUCKETS
          + "   order by seq limit $1)) both_kinds order by seq limit $1) p limit $1)"
          + " select " + CLAIMED + ", sz, picked_rows from (select *, sum(n) over taken - n as before, sum(sz) over taken - sz as bytes_before,"
          + " count(*) over () as picked_rows from picked window taken as (order by pos, seq)) w"
          + " where before = 0 or (before + n <= $1 and bytes_before + sz <= $4) order by seq";

  private static final String MARK =
      "update outbox_event set published_at = now() where id = any($1)";

  // Without retention a published row is deleted: no second row version with the whole payload,
  // no index entries for it, no cleanup later; Kafka holds the event.
  private static final String DELETE_PUBLISHED = "delete from outbox_event where id = any($1)";

  private static final String CLEANUP =
      "delete from outbox_event where published_at < now() - make_interval(secs => $1)";

  /**
   * Records all drain loops may have handed to the producer at once (claims are sized to fit half
   * of it; a record is ~1-2 KB, well within the producer's buffer).
   */
  static final int MAX_IN_FLIGHT = 8192;

  private final OutboxConfig config;
  private final int batchSize;
  private final long claimBytes;
  private final Pool pool;
  private final Vertx vertx;
  private final OutboxProducer producer;
  private volatile URI lastSource;
  private final Instance<RelayCheckpoint> checkpoints;
  private final Counter published;
  private final Counter claims;
  private final String dbUrl;
  private final String dbUser;
  private final String dbPassword;

  /**
   * Drain loops that run at once, each over the buckets {@code b % slots == slot}: a key's rows are
   * in one bucket, so they stay in one loop and in order. A loop spends most of a cycle waiting
   * (for PostgreSQL, then for the broker's acknowledgement), so one loop alone left a large backlog
   * draining at a fraction of what the CPU allows.
   */
  private final Slot[] slots;
  /** Where the next claim starts among the buckets it may take (each claim one further on). */
  private final java.util.concurrent.atomic.AtomicInteger rotation = new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean running;
  private PgSubscriber subscriber;
  private long pollTimer = -1;
  private long cleanupTimer = -1;

  public OutboxRelay(
      OutboxConfig config,
      Pool pool,
      Vertx vertx,
      OutboxProducer producer,
      Instance<RelayCheckpoint> checkpoints,
      MeterRegistry registry,
      @ConfigProperty(name = "quarkus.datasource.reactive.url") String dbUrl,
      @ConfigProperty(name = "quarkus.datasource.username") String dbUser,
      @ConfigProperty(name = "quarkus.datasource.password") String dbPassword) {
    this.config = config;
    this.pool = pool;
    this.vertx = vertx;
    this.producer = producer;
    this.checkpoints = checkpoints;
    this.published = Counter.builder("dsync.outbox.published").register(registry);
    this.claims = Counter.builder("dsync.outbox.claims")
        .description("Relay claims that published rows, each a transaction: published / claims is the rows a claim carries")
        .register(registry);
    int parallelism = Math.max(1, Math.min(Outbox.BUCKETS, config.parallelism()));
    this.batchSize = batchSize(config.batchSize(), parallelism);
    if (batchSize < config.batchSize()) {
      Log.warnf("dsync.outbox.batch-size %d lowered to %d: %d drain loops may not hand the producer more than %d records at once",
          config.batchSize(), batchSize, parallelism, MAX_IN_FLIGHT);
    }
    this.claimBytes = Math.max(1, config.claimBytes());
    this.slots = new Slot[parallelism];
    for (int i = 0; i < parallelism; i++) {
      slots[i] = new Slot(i);
    }
    this.dbUrl = dbUrl;
    this.dbUser = dbUser;
    this.dbPassword = dbPassword;
  }

  void onStart(@Observes StartupEvent event) {
    if (config.relayEnabled()) {
      start();
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    stop();
    producer.close();
  }

  /**
   * The rows one claim may take: all loops' batches in flight must fit the emitter's buffer, or the
   * surplus fails the whole batch, which is then claimed and sent again, over and over (seen with 4
   * loops of 2,000: a 404,000-row drain published 1.1 million records). Half the buffer, because a
   * failed batch's records may still sit in it when the batch is claimed again.
   */
  static int batchSize(int configured, int loops) {
    // A claim stays within it, except that its first row is taken whatever its size; with at most
    // 16 loops that is still within the loop's share (a batch row holds at most 256 events).
    return Math.max(1, Math.min(configured, MAX_IN_FLIGHT / 2 / loops));
  }

  /** Starts listening and draining; idempotent. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    PgConnectOptions options =
        PgConnectOptions.fromUri(dbUrl.replaceFirst("^vertx-reactive:", ""))
            .setUser(dbUser)
            .setPassword(dbPassword);
    subscriber = PgSubscriber.subscriber(vertx, options).reconnectPolicy(retries -> 1000L);
    subscriber.channel("dsync_outbox_" + config.schema()).handler(this::notified);
    subscriber
        .connect()
        .subscribe()
        .with(
            ok -> trigger(),
            failure -> Log.warnf("outbox LISTEN failed, polling only: %s", failure.getMessage()));
    pollTimer = vertx.setPeriodic(config.pollInterval().toMillis(), id -> trigger());
    // Also without a retention: rows marked published before it was 0 (or by an older replica
    // during a rolling upgrade) would stay forever.
    cleanupTimer = vertx.setPeriodic(600_000L, id -> cleanup());
    trigger();
  }

  /** Stops listening and polling; a drain under way finishes its batch. */
  public synchronized void stop() {
    running = false;
    if (pollTimer >= 0) {
      vertx.cancelTimer(pollTimer);
      pollTimer = -1;
    }
    if (cleanupTimer >= 0) {
      vertx.cancelTimer(cleanupTimer);
      cleanupTimer = -1;
    }
    if (subscriber != null) {
      subscriber.closeAndForget();
      subscriber = null;
    }
  }

  private record Slot(int index, AtomicBoolean draining, AtomicBoolean pending) {
    Slot(int index) {
      this(index, new AtomicBoolean(), new AtomicBoolean());
    }
  }

  /** Asks every drain loop for a drain; each coalesces with one it has under way. */
  public void trigger() {
    boolean[] all = new boolean[slots.length];
    java.util.Arrays.fill(all, true);
    wake(all);
  }

  /** A NOTIFY names the buckets that got rows: only their loops drain (all, if it names none). */
  void notified(String buckets) {
    if (buckets == null || buckets.isBlank()) {
      trigger();
      return;
    }
    boolean[] woken = new boolean[slots.length];
    for (String bucket : buckets.split(",")) {
      try {
        // A batch row's bucket is its key bucket + 16.
        woken[Integer.parseInt(bucket.trim()) % Outbox.BUCKETS % slots.length] = true;
      } catch (NumberFormatException e) {
        trigger();
        return;
      }
    }
    wake(woken);
  }

  /**
   * Drains for the woken loops. Those not under way are served by one claim over all their
   * buckets: a commit of a few rows names several buckets, and a claim per loop was a transaction
   * each (at 500 pushes/s, one claim instead of up to four cut PostgreSQL's CPU per pushed change
   * by a third). A loop under way is only asked to go again; a claim that came back full goes on as
   * separate loops, so that a backlog drains in parallel.
   */
  private void wake(boolean[] woken) {
    if (!running) {
      return;
    }
    List<Slot> taken = new ArrayList<>(slots.length);
    for (int i = 0; i < slots.length; i++) {
      if (!woken[i]) {
        continue;
      }
      Slot slot = slots[i];
      // Asked before trying: a claim ending meanwhile either sees the request or has already let
      // the loop go, and then this takes it.
      slot.pending.set(true);
      if (slot.draining.compareAndSet(false, true)) {
        slot.pending.set(false);
        taken.add(slot);
      }
    }
    if (taken.isEmpty()) {
      return;
    }
    boolean[] mine = new boolean[slots.length];
    taken.forEach(slot -> mine[slot.index] = true);
    relayOnce(bucketsOf(mine))
        .subscribe()
        .with(
            claim -> {
              taken.forEach(slot -> slot.draining.set(false));
              boolean full = claim.rowsLeft();
              if (taken.size() > 1 && full) {
                taken.forEach(slot -> wake(only(slot)));
              } else {
                boolean[] again = new boolean[slots.length];
                for (Slot slot : taken) {
                  again[slot.index] = full || slot.pending.get();
                }
                wake(again);
              }
            },
            failure -> {
              taken.forEach(slot -> slot.draining.set(false));
              Log.warnf("outbox relay batch failed, will retry: %s", failure.toString());
              // A row that cannot be published holds back only its own loop, as before claims
              // were combined: the others go on alone now, and the failing one waits for the poll.
              if (taken.size() > 1) {
                taken.forEach(slot -> wake(only(slot)));
              }
            });
  }

  /** What one claim published: its events and payload bytes, and whether it left rows of its buckets behind. */
  record Claimed(int events, long bytes, boolean rowsLeft) {
    static final Claimed NONE = new Claimed(0, 0, false);
  }

  /**
   * Whether a claim may have left rows behind: it took fewer rows than it picked (cut by events or
   * bytes), or it picked as many as it may (its buckets may hold more).
   */
  static boolean rowsLeft(int taken, long picked, int batchSize) {
    return taken < picked || picked >= batchSize;
  }

  private boolean[] only(Slot slot) {
    boolean[] one = new boolean[slots.length];
    one[slot.index] = true;
    return one;
  }

  /** Claims one batch from any bucket, publishes it, marks it; answers how many rows were published. */
  public Uni<Integer> relayOnce() {
    return relayOnce(1, 0);
  }

  /** As {@link #relayOnce()}, over the buckets {@code b % slots == slot}. */
  public Uni<Integer> relayOnce(int slotCount, int slot) {
    boolean[] mine = new boolean[slotCount];
    mine[slot] = true;
    return relayOnce(bucketsOf(mine)).map(Claimed::events);
  }

  /** The key buckets of the given drain loops ({@code loops[i]}: loop i of {@code loops.length}), b % loops == i. */
  private static Integer[] bucketsOf(boolean[] loops) {
    List<Integer> buckets = new ArrayList<>(Outbox.BUCKETS);
    for (int b = 0; b < Outbox.BUCKETS; b++) {
      if (loops[b % loops.length]) {
        buckets.add(b);
      }
    }
    return buckets.toArray(Integer[]::new);
  }

  /** As {@link #relayOnce()}, over the given key buckets (a claim may take those no other relay holds). */
  private Uni<Claimed> relayOnce(Integer[] candidates) {
    long[] at = {System.nanoTime(), 0, 0};
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(TAKE_BUCKETS)
                    .execute(Tuple.of(candidates))
                    .map(rows -> rows.iterator().next().getArrayOfIntegers(0))
                    .chain(buckets -> buckets.length == 0
                        ? Uni.createFrom().<io.vertx.mutiny.sqlclient.RowSet<Row>>nullItem()
                        : conn.preparedQuery(CLAIM)
                            .execute(Tuple.of(batchSize, buckets, rotation.getAndIncrement() & 0xffff, claimBytes)))
                    .chain(
                        rows -> {
                          at[1] = System.nanoTime();
                          List<Row> claimed = new ArrayList<>();
                          if (rows != null) {
                            rows.forEach(claimed::add);
                          }
                          if (claimed.isEmpty()) {
                            return Uni.createFrom().item(Claimed.NONE);
                          }
                          List<UUID> ids = new ArrayList<>(claimed.size());
                          List<ProducerRecord<String, byte[]>> records = new ArrayList<>(claimed.size());
                          long bytes = 0;
                          for (Row row : claimed) {
                            ids.add(row.getUUID("id"));
                            bytes += row.getInteger("sz");
                            records.addAll(records(row));
                          }
                          Claimed claim = new Claimed(records.size(), bytes,
                              rowsLeft(claimed.size(), claimed.get(0).getLong("picked_rows"), batchSize));
                          return publish(records)
                              .invoke(() -> at[2] = System.nanoTime())
                              .invoke(() -> claims.increment())
                              .chain(() -> mark(conn, ids, records.size()))
                              .replaceWith(claim);
                        }))
        .invoke(claim -> {
          if (claim.events() > 0 && Log.isDebugEnabled()) {
            long end = System.nanoTime();
            Log.debugf("relayed %d (%d payload bytes): claim %d ms, publish %d ms, mark and commit %d ms", claim.events(), claim.bytes(),
                (at[1] - at[0]) / 1_000_000, (at[2] - at[1]) / 1_000_000, (end - at[2]) / 1_000_000);
          }
        });
  }

  private Uni<Void> publish(List<ProducerRecord<String, byte[]>> records) {
    return producer.send(records);
  }

  private Uni<Void> mark(SqlConnection conn, List<UUID> ids, int events) {
    for (RelayCheckpoint checkpoint : checkpoints) {
      checkpoint.published(ids);
    }
    return conn.preparedQuery(config.retention().isZero() ? DELETE_PUBLISHED : MARK)
        .execute(Tuple.of(ids.toArray(UUID[]::new)))
        .invoke(() -> published.increment(events))
        .replaceWithVoid();
  }

  /** The records of a row: its one event, or a batch row's events in order. */
  private List<ProducerRecord<String, byte[]>> records(Row row) {
    Integer batchSize = row.getInteger("batch_size");
    String time = DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(row.getOffsetDateTime("timestamp"));
    URI source = sourceUri(row.getString("source"));
    String traceparent = row.getString("traceparent");
    if (batchSize == null) {
      return List.of(record(new OutboxBatch.Entry(row.getUUID("id"), row.getString("type"), row.getString("topic"),
          row.getString("aggregateid"), row.getString("subject"), row.getString("tenant_id"), row.getString("directory_id"),
          utf8(row.getString("payload"))), source, time, traceparent));
    }
    List<OutboxBatch.Entry> entries = OutboxBatch.decompress(row.getBuffer("batch").getBytes());
    if (entries.size() != batchSize) {
      throw new IllegalStateException("outbox batch row " + row.getUUID("id") + " holds " + entries.size() + " events, not " + batchSize);
    }
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>(entries.size());
    for (OutboxBatch.Entry entry : entries) {
      records.add(record(entry, source, time, traceparent));
    }
    return records;
  }

  /** A row's source parsed once while it repeats (every row of a service has the same source). */
  private URI sourceUri(String source) {
    URI last = lastSource;
    if (last == null || !last.toString().equals(source)) {
      last = URI.create(source);
      lastSource = last;
    }
    return last;
  }

  private static byte[] utf8(String text) {
    return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The Kafka record of an event: CloudEvents in binary mode (the CloudEvents Kafka protocol
   * binding: {@code ce_*} headers, the data as the value), the trace context as a W3C
   * {@code traceparent} header when the row was written inside a span.
   */
  private ProducerRecord<String, byte[]> record(OutboxBatch.Entry e, URI source, String time, String traceparent) {
    List<Header> headers = new ArrayList<>(10);
    headers.add(header(CloudEventAttributes.SPEC_VERSION, "1.0"));
    headers.add(header(CloudEventAttributes.ID, e.id().toString()));
    headers.add(header(CloudEventAttributes.SOURCE, source.toString()));
    headers.add(header(CloudEventAttributes.TYPE, e.type()));
    if (e.subject() != null) {
      headers.add(header(CloudEventAttributes.SUBJECT, e.subject()));
    }
    headers.add(header(CloudEventAttributes.TIME, time));
    headers.add(header(CloudEventAttributes.CONTENT_TYPE, "application/json"));
    headers.add(header(CloudEventAttributes.TENANT_ID, e.tenantId()));
    headers.add(header(CloudEventAttributes.DIRECTORY_ID, e.directoryId() == null ? "" : e.directoryId()));
    if (traceparent != null) {
      headers.add(header("traceparent", traceparent));
    }
    // A null payload (tombstone) goes out as a null record value; the key and headers stay.
    return new ProducerRecord<>(e.topic(), null, e.key(), e.payload(), headers);
  }

  private static Header header(String name, String value) {
    return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
  }

  private void cleanup() {
    pool.preparedQuery(CLEANUP)
        .execute(Tuple.of((double) config.retention().toSeconds()))
        .subscribe()
        .with(
            rows -> Log.debugf("outbox cleanup removed %d rows", rows.rowCount()),
            failure -> Log.warnf("outbox cleanup failed: %s", failure.getMessage()));
  }
}
