package dev.dsync.audit.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Records every event of the audited topics. Consumes in batches: one transaction appends the
 * whole batch, and the batch is acknowledged (its offsets committed) only after that commit, so
 * nothing acknowledged is lost; a redelivered batch finds its events recorded and adds nothing.
 * A failing append is retried (with back-off) rather than skipped: the trail must not have holes.
 */
@ApplicationScoped
public class AuditedEventConsumer {

  private final EventMapper mapper;
  private final ChainAppender appender;
  private final Counter recorded;
  private final Counter duplicates;
  private final Counter skipped;

  public AuditedEventConsumer(EventMapper mapper, ChainAppender appender, MeterRegistry registry) {
    this.mapper = mapper;
    this.appender = appender;
    this.recorded = Counter.builder("dsync.audit.recorded").description("audit records appended").register(registry);
    this.duplicates =
        Counter.builder("dsync.audit.duplicates").description("redelivered events already recorded").register(registry);
    this.skipped =
        Counter.builder("dsync.audit.skipped").description("records that are not dsync events").register(registry);
  }

  @Incoming("audited-events-in")
  public Uni<Void> consume(ConsumerRecords<String, byte[]> records) {
    List<AuditDraft> drafts = new ArrayList<>(records.count());
    for (ConsumerRecord<String, byte[]> record : records) {
      EventMapper.Mapped mapped = mapper.map(record);
      if (mapped.draft() != null) {
        drafts.add(mapped.draft());
      } else if (mapped.skipped() == EventMapper.Skip.NOT_A_DSYNC_EVENT) {
        skipped.increment();
        Log.warnf(
            "skipped a record without ce_id/ce_type/ce_tenantid on %s-%d@%d",
            record.topic(), record.partition(), record.offset());
      }
    }
    return appender
        .append(drafts)
        .onFailure()
        .invoke(f -> Log.warnf("appending %d audit records failed, retrying: %s", drafts.size(), f.toString()))
        .onFailure()
        .retry()
        .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(10))
        .indefinitely()
        .invoke(
            a -> {
              recorded.increment(a.recorded());
              duplicates.increment(a.duplicates());
            })
        .replaceWithVoid();
  }
}
