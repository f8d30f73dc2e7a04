package dev.dsync.webhooks;

import dev.dsync.events.EventType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;

/** Publishes identity events as the reconciler does: CloudEvents binary mode, golden sample data. */
public final class IdentityEvents {

  private static KafkaProducer<String, String> producer;

  private IdentityEvents() {}

  /** The golden sample of {@code type}'s data, from the events jar. */
  public static String sample(EventType type) {
    try (InputStream in = EventType.class.getClassLoader().getResourceAsStream(type.sampleResource())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Publishes one event and waits for the broker's ack; answers its id. */
  public static UUID publish(String tenant, String directoryId, EventType type) {
    return publish(UUID.randomUUID(), tenant, directoryId, type, sample(type));
  }

  public static UUID publish(UUID id, String tenant, String directoryId, EventType type, String data) {
    return publish(id, tenant, directoryId, type, data, Instant.now().toString());
  }

  /** With a given {@code ce_time}, as the reconciler's relay writes it. */
  public static synchronized UUID publish(UUID id, String tenant, String directoryId, EventType type, String data, String time) {
    ProducerRecord<String, String> record =
        new ProducerRecord<>(type.topic().topicName(), directoryId, data);
    Map.of(
            "ce_specversion", "1.0",
            "ce_id", id.toString(),
            "ce_source", "/dsync/reconciler",
            "ce_type", type.type(),
            "ce_time", time,
            "ce_tenantid", tenant,
            "ce_directoryid", directoryId,
            "content-type", "application/json")
        .forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
    try {
      producer().send(record).get();
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
    return id;
  }

  private static KafkaProducer<String, String> producer() {
    if (producer == null) {
      String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
      producer =
          new KafkaProducer<>(
              Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 0),
              new StringSerializer(),
              new StringSerializer());
    }
    return producer;
  }
}
