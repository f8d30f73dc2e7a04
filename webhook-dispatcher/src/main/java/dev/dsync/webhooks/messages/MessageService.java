package dev.dsync.webhooks.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import dev.dsync.webhooks.delivery.Delivery;
import dev.dsync.webhooks.delivery.RetryPolicy;
import dev.dsync.webhooks.endpoints.Endpoint;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

/** Turns events into webhook messages and schedules their delivery to subscribed endpoints. */
@ApplicationScoped
public class MessageService {

  private final RetryPolicy policy;

  public MessageService(RetryPolicy policy) {
    this.policy = policy;
  }

  /**
   * Inside the caller's transaction: stores the message and one pending delivery per enabled
   * endpoint of the tenant that subscribes to it; answers how many deliveries were scheduled.
   */
  public Uni<Integer> ingest(UUID id, String tenantId, String directoryId, String type, Instant occurredAt, String data) {
    WebhookMessage message = message(id, tenantId, directoryId, type, occurredAt, data);
    return message
        .persist()
        .chain(() -> Endpoint.<Endpoint>list("tenantId = ?1 and enabled = true", tenantId))
        .chain(endpoints -> schedule(message, endpoints.stream().filter(e -> e.subscribes(type, directoryId)).toList()));
  }

  /** Inside the caller's transaction: schedules {@code message} to {@code endpoints} now. */
  public Uni<Integer> schedule(WebhookMessage message, List<Endpoint> endpoints) {
    Instant now = now();
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (Endpoint e : endpoints) {
      Delivery d = Delivery.pending(message.tenantId, message.id, e.id, now, policy.firstAttemptAt(now));
      chain = chain.chain(() -> d.persist()).replaceWithVoid();
    }
    return chain.replaceWith(endpoints.size());
  }

  /** A message whose payload is the Standard Webhooks body: type, timestamp and the event data. */
  public static WebhookMessage message(UUID id, String tenantId, String directoryId, String type, Instant occurredAt, String data) {
    WebhookMessage m = new WebhookMessage();
    m.id = id;
    m.tenantId = tenantId;
    m.directoryId = directoryId;
    m.eventType = type;
    m.occurredAt = occurredAt.truncatedTo(ChronoUnit.MICROS);
    m.createdAt = now();
    JsonNode tree = parse(data);
    JsonNode sequence = tree.get("sequence");
    m.sequence = sequence != null && sequence.canConvertToLong() ? sequence.asLong() : null;
    ObjectNode body = EventJson.mapper().createObjectNode();
    body.put("type", type);
    body.put("timestamp", m.occurredAt.toString());
    body.set("data", tree);
    m.payload = EventJson.write(body);
    return m;
  }

  private static JsonNode parse(String data) {
    try {
      return EventJson.mapper().readTree(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }
}
