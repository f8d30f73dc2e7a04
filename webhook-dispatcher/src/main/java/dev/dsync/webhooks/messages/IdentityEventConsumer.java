package dev.dsync.webhooks.messages;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.DateTimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Consumes {@code dsync.identity.events} in batches: each event becomes a message with its
 * deliveries, once (the inbox records the event ids in the same transaction as the messages). A
 * batch is acknowledged only after that commit; a database failure is retried rather than skipped,
 * so nothing acknowledged is lost.
 */
@ApplicationScoped
public class IdentityEventConsumer {

  static final String CONSUMER = "webhook-dispatcher";

  private final MessageService messages;

  public IdentityEventConsumer(MessageService messages) {
    this.messages = messages;
  }

  @Incoming("identity-events-in")
  public Uni<Void> consume(KafkaRecordBatch<String, String> batch) {
    List<MessageService.Event> events = new ArrayList<>();
    for (KafkaRecord<String, String> record : batch) {
      MessageService.Event event = event(record);
      if (event != null) {
        events.add(event);
      }
    }
    if (events.isEmpty()) {
      return Uni.createFrom().completionStage(batch.ack());
    }
    return messages
        .ingest(CONSUMER, events)
        .onFailure()
        .retry()
        .withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10))
        .indefinitely()
        .chain(() -> Uni.createFrom().completionStage(batch.ack()));
  }

  /** The CloudEvents (binary mode) envelope of a record, or null for one that can never become a webhook. */
  private static MessageService.Event event(KafkaRecord<String, String> record) {
    Headers headers = record.getHeaders();
    String id = header(headers, "ce_id");
    String type = header(headers, "ce_type");
    String tenant = header(headers, "ce_tenantid");
    if (id == null || type == null) {
      Log.errorf("skipping a record of dsync.identity.events that is not a dsync CloudEvent (key %s)", record.getKey());
      return null;
    }
    UUID eventId;
    try {
      eventId = UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      Log.errorf("skipping a record of dsync.identity.events whose ce_id is not a UUID (key %s)", record.getKey());
      return null;
    }
    if (tenant == null || tenant.isEmpty() || record.getPayload() == null) {
      Log.errorf("skipping event %s: no tenant or no data", eventId);
      return null;
    }
    String directory = header(headers, "ce_directoryid");
    return new MessageService.Event(
        eventId, tenant, directory == null || directory.isEmpty() ? null : directory, type, time(header(headers, "ce_time")), record.getPayload());
  }

  private static String header(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static Instant time(String value) {
    if (value == null) {
      return Instant.now();
    }
    try {
      // RFC 3339 with an offset, as the connector writes it; a zone id in brackets is tolerated.
      return java.time.format.DateTimeFormatter.ISO_DATE_TIME.parse(value, Instant::from);
    } catch (DateTimeException e) {
      return Instant.now();
    }
  }
}
