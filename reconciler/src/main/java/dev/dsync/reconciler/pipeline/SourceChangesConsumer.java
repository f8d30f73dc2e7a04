package dev.dsync.reconciler.pipeline;

import dev.dsync.events.DsyncEvent;
import dev.dsync.events.EventType;
import dev.dsync.reconciler.config.ReconcilerConfig;
import dev.dsync.reconciler.identities.GraceSweeper;
import dev.dsync.reconciler.jobs.ApplyingJobs;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Consumes dsync.source.changes with a plain Kafka consumer on its own thread: poll a batch, apply
 * it in one PostgreSQL transaction (effects, inbox ids, outbox events), then commit the offsets.
 * Offsets are committed only after the transaction, so a crash in between re-delivers the batch
 * and the inbox skips what was applied. A plain consumer (not {@code @Incoming}) so that a batch
 * is one transaction and the commit point is explicit. The next batch is polled and parsed on
 * this thread while the batch before is applied on another, and handed over once that one is
 * committed: batches still apply one at a time, in order.
 */
@ApplicationScoped
public class SourceChangesConsumer {

  private final ReconcilerConfig config;
  private final Reconciler reconciler;
  private final ApplyingJobs applyingJobs;
  private final GraceSweeper sweeper;
  private final Instance<ConsumerCheckpoint> checkpoints;
  private final String bootstrap;
  private volatile boolean running;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private Thread thread;

  public SourceChangesConsumer(
      ReconcilerConfig config,
      Reconciler reconciler,
      ApplyingJobs applyingJobs,
      GraceSweeper sweeper,
      Instance<ConsumerCheckpoint> checkpoints,
      @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap) {
    this.config = config;
    this.reconciler = reconciler;
    this.applyingJobs = applyingJobs;
    this.sweeper = sweeper;
    this.checkpoints = checkpoints;
    this.bootstrap = bootstrap;
  }

  void onStart(@Observes StartupEvent event) {
    if (config.consumerEnabled()) {
      start();
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    stop();
  }

  /** Starts consuming from the group's committed offsets; idempotent. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    thread = new Thread(this::run, "reconciler-source-consumer");
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops after the batch under way; its offsets are committed only if it finished. */
  public synchronized void stop() {
    running = false;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    if (thread != null && thread != Thread.currentThread()) {
      try {
        thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  public boolean running() {
    return running;
  }

  private void run() {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxBatch());
    // With the default 1 MiB per partition a poll stopped at ~1,040 user changes, half the batch a
    // full sync's staging could take; 8 MiB in all bounds what two batches (one applying, one
    // parsed) hold, however large their records.
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 8 * 1024 * 1024);
    // A job's completion applies all its staged changes in the batch's transaction, which for a
    // large directory takes minutes; past this interval the broker would evict the consumer and
    // the batch would be re-delivered (and re-applied, forever) instead of committed.
    props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) config.maxBatchDuration().toMillis());
    if (!config.fetchMaxWait().isZero()) {
      props.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 64 * 1024);
      props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) config.fetchMaxWait().toMillis());
    }
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "reconciler-" + UUID.randomUUID().toString().substring(0, 8));
    long nextSweep = 0;
    ExecutorService applier = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "reconciler-source-applier");
      t.setDaemon(true);
      return t;
    });
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer = c;
      inFlight = null;
      uncommitted.clear();
      c.subscribe(List.of(config.sourceTopic()), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          // Inside poll, on this thread: the batch under way finishes and its offsets are committed
          // before its partitions move, or their next owner would apply it again beside it.
          settle(c, true);
          commitOffsets(c, true);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
      });
      try {
        while (running) {
          ConsumerRecords<String, byte[]> records = c.poll(config.pollTimeout());
          // Polled and parsed while the batch before is applied: the next batch is ready when that
          // one commits (parsing is a fifth of a batch's time, and it ran on a core left idle).
          List<Reconciler.Received> batch = new ArrayList<>(records.count());
          Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
          long oldest = Long.MAX_VALUE;
          for (ConsumerRecord<String, byte[]> r : records) {
            oldest = Math.min(oldest, r.timestamp());
            batch.add(parse(r));
            offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
          }
          if (!settle(c, false)) {
            break; // stopping: that batch was not committed and will be re-delivered, as will this one
          }
          if (!batch.isEmpty()) {
            long waited = System.currentTimeMillis() - oldest;
            inFlight = new InFlight(applier.submit(() -> applyUntilDone(batch)), offsets,
                batch.stream().map(Reconciler.Received::eventId).toList(), waited, System.nanoTime());
          }
          // Only a backlog is read ahead. A small batch means the consumer has caught up: polling
          // beside it would cut what arrives next into smaller batches, more transactions for the
          // same changes (push latency p99 rose from ~80 to ~105 ms at 500/s).
          boolean backlog = batch.size() >= config.maxBatch() / 4;
          boolean sweepDue = System.currentTimeMillis() >= nextSweep;
          // Never a sweep beside a batch: it applies jobs a batch may be applying.
          if ((sweepDue || !backlog) && !settle(c, false)) {
            break;
          }
          if (inFlight == null && offsetsDue()) {
            commitOffsets(c, false);
          }
          if (sweepDue) {
            nextSweep = System.currentTimeMillis() + config.graceSweepInterval().toMillis();
            sweep();
          }
        }
      } catch (WakeupException e) {
        // stop() woke the poll
      }
      settle(c, false); // stopping: what the batch under way committed in PostgreSQL is committed in Kafka too
      commitOffsets(c, false); // closing the consumer waits for it
    } catch (RuntimeException e) {
      Log.errorf(e, "source consumer stopped: %s", e.getMessage());
    } finally {
      applier.shutdownNow();
      consumer = null;
      running = false;
    }
  }

  /** The batch on the applier thread, if any (only the consumer thread touches it). */
  private InFlight inFlight;
  /** Offsets of batches committed in PostgreSQL, not yet in Kafka (only the consumer thread touches them). */
  private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
  private long lastOffsetCommit = System.nanoTime();

  /**
   * Waits for the batch under way, if any, and commits offsets as {@link #finish} does; false if it
   * was not committed (stopping).
   */
  private boolean settle(KafkaConsumer<String, byte[]> c, boolean sync) {
    InFlight batch = inFlight;
    if (batch == null) {
      return true;
    }
    inFlight = null;
    return finish(c, batch, sync);
  }

  /** A batch handed to the applier thread: its outcome, offsets, event ids, and timings for the log. */
  private record InFlight(Future<Boolean> applied, Map<TopicPartition, OffsetAndMetadata> offsets, List<UUID> ids, long waitedMillis, long started) {}

  /**
   * Waits for the batch, then commits its offsets, and those of batches before it, if the last
   * commit is {@code offsetCommitInterval} old ({@code sync}: now, waiting for the broker); false if
   * it was not committed (the consumer is stopping). The batch's effects and inbox ids are
   * committed: a late or lost offset commit only re-delivers changes the inbox skips, so the next
   * poll need not wait for the broker's answer.
   */
  private boolean finish(KafkaConsumer<String, byte[]> c, InFlight batch, boolean sync) {
    boolean applied;
    try {
      applied = batch.applied().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("applying a batch failed: " + e.getCause(), e.getCause());
    }
    if (!applied) {
      return false;
    }
    long committing = System.nanoTime();
    for (ConsumerCheckpoint checkpoint : checkpoints) {
      checkpoint.committed(batch.ids());
    }
    uncommitted.putAll(batch.offsets());
    if (sync || offsetsDue()) {
      commitOffsets(c, sync);
    }
    Log.debugf("batch of %d: oldest published %d ms before it was handed over, applied %d ms", batch.ids().size(), batch.waitedMillis(),
        (committing - batch.started()) / 1_000_000);
    return true;
  }

  /** Whether offsets wait to be committed and the last commit is {@code offsetCommitInterval} old. */
  private boolean offsetsDue() {
    return !uncommitted.isEmpty() && System.nanoTime() - lastOffsetCommit >= config.offsetCommitInterval().toNanos();
  }

  /**
   * Commits the offsets of the batches applied so far ({@code sync}: waiting for the broker). The
   * offsets of a failed commit go with the next one; meanwhile the effects are in PostgreSQL and
   * the inbox skips whatever is re-delivered.
   */
  private void commitOffsets(KafkaConsumer<String, byte[]> c, boolean sync) {
    if (uncommitted.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(uncommitted);
    uncommitted.clear();
    lastOffsetCommit = System.nanoTime();
    if (sync) {
      try {
        try {
          c.commitSync(offsets);
        } catch (WakeupException woken) {
          // stop() woke the consumer while a rebalance waited for a batch; the wakeup is spent now.
          c.commitSync(offsets);
        }
      } catch (RuntimeException failure) {
        Log.warnf("offset commit failed (the inbox skips the re-delivered changes): %s", failure.toString());
        keepForLater(c, offsets);
      }
    } else {
      // The callback runs on this thread, inside a later poll or commit.
      c.commitAsync(offsets, (committed, failure) -> {
        if (failure != null) {
          Log.warnf("offset commit failed, will be retried (the inbox skips the re-delivered changes): %s", failure.toString());
          keepForLater(c, offsets);
        }
      });
    }
  }

  /** Offsets whose commit failed go with the next commit, unless a later one or a rebalance overtook them. */
  private void keepForLater(KafkaConsumer<String, byte[]> c, Map<TopicPartition, OffsetAndMetadata> offsets) {
    java.util.Set<TopicPartition> assigned;
    try {
      assigned = c.assignment();
    } catch (RuntimeException closed) {
      return;
    }
    offsets.forEach((partition, offset) -> {
      if (assigned.contains(partition)) {
        uncommitted.merge(partition, offset, (newer, failed) -> newer.offset() >= failed.offset() ? newer : failed);
      }
    });
  }

  /**
   * Retries a batch until it commits (transient failures) or the consumer stops; true if committed.
   * A job completion ends a transaction: the job it decides is applied (page by page, see
   * {@link ApplyingJobs}) before the batch's next change, and any job left APPLYING (a crash, a
   * replica that lost the partition) is finished before the batch.
   */
  private boolean applyUntilDone(List<Reconciler.Received> batch) {
    List<List<Reconciler.Received>> segments = segments(batch, config.pageWeight());
    while (running) {
      try {
        VertxContextSupport.subscribeAndAwait(() -> applyingJobs.drain()
            .chain(() -> Steps.forEach(segments, segment -> reconciler.process(segment)
                .call(() -> completesJob(segment.get(segment.size() - 1)) ? applyingJobs.drain() : Uni.createFrom().voidItem()))));
        return true;
      } catch (Throwable t) {
        Log.warnf("applying %d source changes failed, retrying: %s", batch.size(), t.toString());
        LockSupport.parkNanos(config.retryBackoff().toNanos());
      }
    }
    return false;
  }

  /**
   * The batch cut into transactions: after each job completion, and before a change that would take
   * a transaction past {@code maxWeight} (one heavy change still goes alone).
   */
  static List<List<Reconciler.Received>> segments(List<Reconciler.Received> batch, int maxWeight) {
    return Steps.runs(batch, r -> r.change() == null ? 1 : r.change().weight(), Integer.MAX_VALUE, maxWeight, SourceChangesConsumer::completesJob);
  }

  private static boolean completesJob(Reconciler.Received r) {
    return EventType.SOURCE_SYNC_JOB_COMPLETED.type().equals(r.type());
  }

  /**
   * Also finishes jobs left APPLYING without waiting for the next source change: at start (after a
   * crash) and now and then (a replica that died mid-job on a partition no change arrives on).
   */
  private void sweep() {
    try {
      VertxContextSupport.subscribeAndAwait(applyingJobs::drain);
    } catch (Throwable t) {
      Log.warnf("applying decided sync jobs failed, will retry: %s", t.toString());
    }
    try {
      VertxContextSupport.subscribeAndAwait(sweeper::sweep);
    } catch (Throwable t) {
      Log.warnf("grace-period sweep failed: %s", t.toString());
    }
  }

  static Reconciler.Received parse(ConsumerRecord<String, byte[]> r) {
    DsyncEvent event;
    try {
      event = DsyncEvent.from(r);
    } catch (RuntimeException e) {
      return new Reconciler.Received(fallbackId(r), null, "not a CloudEvent: " + e.getMessage(), null, null, null, raw(r));
    }
    try {
      return Reconciler.Received.ok(SourceChange.from(event));
    } catch (RejectedChange e) {
      UUID id;
      try {
        id = UUID.fromString(event.id());
      } catch (IllegalArgumentException bad) {
        id = fallbackId(r);
      }
      return new Reconciler.Received(id, null, e.getMessage(), event.tenantId(), event.directoryId(), event.type(), raw(r));
    }
  }

  /** The id of a record that has none usable: derived from where it is, so a redelivery gets the same. */
  private static UUID fallbackId(ConsumerRecord<String, byte[]> r) {
    return UUID.nameUUIDFromBytes((r.topic() + "/" + r.partition() + "/" + r.offset()).getBytes(StandardCharsets.UTF_8));
  }

  /** The record's value as text, kept only for a change that cannot be read. */
  private static String raw(ConsumerRecord<String, byte[]> r) {
    return r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8);
  }

  /** For tests and operators: how long a poll waits. */
  Duration pollTimeout() {
    return config.pollTimeout();
  }
}
