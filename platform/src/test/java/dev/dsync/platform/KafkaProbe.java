package dev.dsync.platform;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.ConfigProvider;

/** Reads a topic from the beginning with a plain Kafka consumer, as a downstream team would. */
final class KafkaProbe implements AutoCloseable {

  record Seen(String key, String ceId, String ceType, String tenant, String value, int partition, long offset, Map<String, String> headers) {}

  private final KafkaConsumer<String, String> consumer;
  private final List<Seen> seen = new ArrayList<>();

  KafkaProbe(String topic) {
    String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "probe-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
            new StringDeserializer(),
            new StringDeserializer());
    consumer.subscribe(List.of(topic));
  }

  /** Polls once more and answers everything seen so far for {@code tenant}. */
  List<Seen> forTenant(String tenant) {
    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(300))) {
      seen.add(
          new Seen(
              r.key(),
              header(r, "ce_id"),
              header(r, "ce_type"),
              header(r, "ce_tenantid"),
              r.value(),
              r.partition(),
              r.offset(),
              headers(r)));
    }
    return seen.stream().filter(s -> tenant.equals(s.tenant())).toList();
  }

  private static Map<String, String> headers(ConsumerRecord<?, ?> r) {
    Map<String, String> all = new java.util.LinkedHashMap<>();
    for (Header h : r.headers()) {
      all.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
    }
    return all;
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    consumer.close();
  }
}
