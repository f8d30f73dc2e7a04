package dev.dsync.webhooks.messages;

import dev.dsync.platform.inbox.Inbox;
import dev.dsync.platform.inbox.ReceivedEvent;
import dev.dsync.webhooks.delivery.DeliveryWorker;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Consumes {@code dsync.identity.events}: each event becomes a message with its deliveries, once
 * (the inbox records the event id in the same transaction). A record is acknowledged only after
 * that commit; a database failure is retried rather than skipped, so nothing acknowledged is lost.
 */
@ApplicationScoped
public class IdentityEventConsumer {

  static final String CONSUMER = "webhook-dispatcher";

  private final Inbox inbox;
  private final MessageService messages;
  private final DeliveryWorker worker;

  public IdentityEventConsumer(Inbox inbox, MessageService messages, DeliveryWorker worker) {
    this.inbox = inbox;
    this.messages = messages;
    this.worker = worker;
  }

  @Incoming("identity-events-in")
  public Uni<Void> consume(Message<String> message) {
    ReceivedEvent event;
    try {
      event = ReceivedEvent.of(message);
    } catch (RuntimeException e) {
      Log.errorf("skipping a record of dsync.identity.events that is not a dsync CloudEvent: %s", e.getMessage());
      return Uni.createFrom().completionStage(message.ack());
    }
    if (event.tenantId() == null || message.getPayload() == null) {
      Log.errorf("skipping event %s: no tenant or no data", event.id());
      return Uni.createFrom().completionStage(message.ack());
    }
    Instant occurredAt = time(message);
    return inbox
        .once(
            CONSUMER,
            event.id(),
            () -> messages.ingest(event.id(), event.tenantId(), event.directoryId(), event.type(), occurredAt, message.getPayload()))
        .onFailure(e -> !(e instanceof java.io.UncheckedIOException))
        .retry()
        .withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10))
        .indefinitely()
        .invoke(ran -> worker.wake())
        .onFailure()
        .recoverWithItem(
            e -> {
              // Only data that is not JSON gets here: it can never become a webhook body.
              Log.errorf("skipping event %s: its data is not JSON", event.id());
              return false;
            })
        .chain(() -> Uni.createFrom().completionStage(message.ack()));
  }

  @SuppressWarnings("unchecked") // the connector attaches the metadata with the payload's type
  private static Instant time(Message<String> message) {
    return message
        .getMetadata(IncomingCloudEventMetadata.class)
        .flatMap(ce -> ((IncomingCloudEventMetadata<String>) ce).getTimeStamp())
        .map(ZonedDateTime::toInstant)
        .orElseGet(Instant::now);
  }
}
