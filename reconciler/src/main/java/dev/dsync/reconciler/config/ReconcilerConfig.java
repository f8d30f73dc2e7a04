package dev.dsync.reconciler.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Settings of the reconciler service. */
@ConfigMapping(prefix = "dsync.reconciler")
public interface ReconcilerConfig {

  /** Whether this process consumes dsync.source.changes (off for an API-only replica or a test driving it). */
  @WithDefault("true")
  boolean consumerEnabled();

  /** Topic the source changes are read from. */
  @WithDefault("dsync.source.changes")
  String sourceTopic();

  /** Kafka consumer group; also the inbox consumer name, so processed ids are scoped to it. */
  @WithDefault("reconciler")
  String groupId();

  /**
   * Most records one poll takes; its transactions are cut further by
   * {@link #pageWeight()}. 2,000 rather than 500: staging a 100,000-change sync ended ~1 s sooner
   * and a full sync ran at 2,950-3,150 changes/s instead of 2,580-2,700 (fewer polls, commits and
   * statements per change); a push batch only holds what has arrived, so it waits no longer.
   */
  @WithDefault("2000")
  int maxBatch();

  /** The longest one batch may take to apply (a large job's completion) before the broker considers the consumer gone. */
  @WithDefault("30m")
  Duration maxBatchDuration();

  /**
   * Offsets are committed in Kafka at most this often: when a batch ends this long after the last
   * commit, or, while no batch is under way, once this has passed (a batch's offsets may so wait
   * for the next batch to end, a job's completion included). A batch's effects and inbox ids are
   * committed in PostgreSQL before its offsets, so a later commit only means that a crash
   * re-delivers a little more, which the inbox skips; committing after every small push batch was
   * ~170 offset commits a second at 500 pushes/s, a large part of the broker's work. Offsets are
   * still committed before partitions move (waiting for the broker) and when the consumer stops.
   */
  @WithDefault("1s")
  Duration offsetCommitInterval();

  /**
   * How long the broker may hold a fetch to gather {@code fetch.min.bytes} (set with it) once the
   * consumer has caught up: a push then arrives in batches of a few milliseconds' changes rather
   * than one or two at a time, each batch a transaction and its outbox rows a relay claim. A
   * backlog fills a fetch at once and never waits. At 500 pushes/s, 20 ms cut the CPU per pushed
   * change of the reconciler, Kafka and PostgreSQL by about a quarter, and the p50 latency did not
   * rise: the machine was less busy. 0 turns it off.
   */
  @WithDefault("20ms")
  Duration fetchMaxWait();

  /** How long one poll waits for records. */
  @WithDefault("200ms")
  Duration pollTimeout();

  /** Pause before retrying a batch that failed for a transient reason (database or broker down). */
  @WithDefault("1s")
  Duration retryBackoff();

  /** How often identities whose deprovisioning grace period ended are deleted. */
  @WithDefault("60s")
  Duration graceSweepInterval();

  /**
   * Staged changes read per page while planning or applying a job: a page's lookups are read in a
   * few queries and its writes go out as one statement per table, so a larger page means fewer
   * round trips; rows are forgotten between pages, so it also bounds the memory a large job holds.
   */
  @WithDefault("500")
  int applyPageSize();

  /**
   * Most work one transaction takes on, in {@link dev.dsync.reconciler.pipeline.SourceChange#weight()}
   * units (a change is 1, plus 1 per member a membership change names). Bounds a consumer batch's
   * transactions and a job's pages besides their counts: 500 membership changes of 50 members are
   * 25,000 rows, events and state records in memory at once, and ran a 384 MiB heap out of memory
   * (the page was retried, failing the same way, and the partition stood still).
   */
  @WithDefault("5000")
  int pageWeight();

  /** Largest page the query APIs return. */
  @WithDefault("200")
  int maxPageSize();
}
