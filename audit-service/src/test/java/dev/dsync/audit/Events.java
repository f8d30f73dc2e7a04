package dev.dsync.audit;

import dev.dsync.events.CloudEventAttributes;
import dev.dsync.events.EventType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;

/** Publishes CloudEvents in binary mode with a plain producer, as the other services' relays do. */
public final class Events implements AutoCloseable {

  /** One event to send. */
  public record Sent(String id, EventType type, String tenant, String directory, String data) {}

  private final KafkaProducer<String, String> producer;

  public Events() {
    String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, "5"),
            new StringSerializer(),
            new StringSerializer());
  }

  /** The golden sample of a type, from the events jar. */
  public static String sample(EventType type) {
    try (InputStream in = Events.class.getClassLoader().getResourceAsStream(type.sampleResource())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Sent event(EventType type, String tenant, String directory, String data) {
    return new Sent(UUID.randomUUID().toString(), type, tenant, directory, data);
  }

  /** One event of every audited type (the golden samples), for {@code tenant}. */
  public static List<Sent> everyType(String tenant, String directory) {
    List<Sent> all = new ArrayList<>();
    for (EventType t : EventType.values()) {
      if (t != EventType.IDENTITY_STATE && t != EventType.AUDIT_CHECKPOINT) {
        all.add(event(t, tenant, directory, sample(t)));
      }
    }
    return all;
  }

  public void send(List<Sent> events) {
    List<Future<?>> acks = new ArrayList<>();
    for (Sent e : events) {
      acks.add(producer.send(record(e)));
    }
    for (Future<?> ack : acks) {
      try {
        ack.get();
      } catch (InterruptedException | ExecutionException ex) {
        throw new IllegalStateException(ex);
      }
    }
  }

  public void send(Sent... events) {
    send(List.of(events));
  }

  private static ProducerRecord<String, String> record(Sent e) {
    String key = e.type().topic().key().equals("tenantId") ? e.tenant() : e.directory();
    ProducerRecord<String, String> r = new ProducerRecord<>(e.type().topic().topicName(), key, e.data());
    header(r, "ce_specversion", "1.0");
    header(r, CloudEventAttributes.ID, e.id());
    header(r, CloudEventAttributes.TYPE, e.type().type());
    header(r, CloudEventAttributes.SOURCE, "/dsync/test");
    header(r, CloudEventAttributes.TIME, Instant.now().toString());
    header(r, CloudEventAttributes.TENANT_ID, e.tenant());
    header(r, CloudEventAttributes.DIRECTORY_ID, e.directory() == null ? "" : e.directory());
    header(r, CloudEventAttributes.CONTENT_TYPE, "application/json");
    header(r, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    return r;
  }

  private static void header(ProducerRecord<?, ?> r, String name, String value) {
    r.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    producer.close();
  }
}
