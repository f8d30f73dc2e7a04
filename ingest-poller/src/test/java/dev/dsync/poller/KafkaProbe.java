package dev.dsync.poller;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dsync.events.EventJson;
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
public final class KafkaProbe implements AutoCloseable {

  /** One record with its CloudEvents headers and parsed data. */
  public record Seen(String key, String ceId, String type, String tenant, String directory, String subject, JsonNode data) {}

  private final KafkaConsumer<String, String> consumer;
  private final List<Seen> seen = new ArrayList<>();

  public KafkaProbe(String topic) {
    String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    consumer = new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG, "probe-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
        new StringDeserializer(), new StringDeserializer());
    consumer.subscribe(List.of(topic));
  }

  /** Polls once more and answers everything seen so far for the directory (connection), in topic order. */
  public synchronized List<Seen> forDirectory(String directoryId) {
    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(300))) {
      try {
        seen.add(new Seen(r.key(), header(r, "ce_id"), header(r, "ce_type"), header(r, "ce_tenantid"), header(r, "ce_directoryid"),
            header(r, "ce_subject"), EventJson.mapper().readTree(r.value())));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
    return seen.stream().filter(s -> directoryId.equals(s.directory())).toList();
  }

  /** Everything seen for the directory whose data carries this jobId (job events carry it too). */
  public List<Seen> forJob(String directoryId, String jobId) {
    return forDirectory(directoryId).stream().filter(s -> jobId.equals(s.data().path("jobId").asText())).toList();
  }

  public List<Seen> forTenant(String tenant) {
    forDirectory("");
    return seen.stream().filter(s -> tenant.equals(s.tenant())).toList();
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
