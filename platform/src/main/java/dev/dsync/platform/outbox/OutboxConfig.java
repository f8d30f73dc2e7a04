package dev.dsync.platform.outbox;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;

/** Settings of the transactional outbox and its relay. */
@ConfigMapping(prefix = "dsync.outbox")
public interface OutboxConfig {

  /** Whether this process runs the relay (a service may write rows and leave relaying to others). */
  @WithDefault("true")
  boolean relayEnabled();

  /** CloudEvents {@code source} of the events this service publishes, e.g. /dsync/ingest-scim. */
  @WithDefault("/dsync/${quarkus.application.name}")
  String source();

  /** Database schema of the service, whose outbox_event table the relay drains. */
  @WithDefault("public")
  String schema();

  /** Drain loops per process, each over its share of the key buckets (at most 16). */
  @WithDefault("4")
  int parallelism();

  /**
   * Largest event payload (UTF-8 bytes) an append accepts. A Kafka record is at most 1 MB
   * (producer {@code max.request.size} and broker {@code message.max.bytes}, 1,048,576 by
   * default); this leaves room for the CloudEvents headers. A larger event is refused at append.
   */
  @WithDefault("1000000")
  int maxPayloadBytes();

  /** Most events published per claim (a batch row counts as its events; the first row is taken whatever its size). */
  @WithDefault("500")
  int batchSize();

  /**
   * Most payload bytes one claim reads (uncompressed: a plain row's payload, a batch row's events;
   * the first row is taken whatever its size). With the event count alone, a claim of large events
   * could hold hundreds of megabytes (500 events of up to {@link #maxPayloadBytes()} each).
   */
  @WithDefault("16777216")
  long claimBytes();

  /** Fallback poll interval for when a NOTIFY was missed (e.g. while reconnecting). */
  @WithDefault("2s")
  Duration pollInterval();

  /**
   * How long published rows are kept (marked published) before a cleanup deletes them; 0, the
   * default, deletes each row once the broker acknowledged it, which costs PostgreSQL far less than
   * a second version of the row. A retention is for inspecting what was published in tests.
   */
  @WithDefault("0s")
  Duration retention();

  /** The relay's Kafka producer properties ({@code dsync.outbox.kafka.linger.ms=2}, ...); bootstrap servers come from {@code kafka.bootstrap.servers}. */
  Map<String, String> kafka();
}
