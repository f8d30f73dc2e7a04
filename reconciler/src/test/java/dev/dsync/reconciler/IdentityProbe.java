package dev.dsync.reconciler;

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

/** Reads the reconciler's output topics from the beginning with a plain consumer, as a downstream team would. */
public final class IdentityProbe implements AutoCloseable {

  /** One record seen. */
  public record Seen(String topic, String key, String ceId, String type, String tenant, String directory, String subject, JsonNode data) {
    public long sequence() {
      return data.path("sequence").asLong();
    }
  }

  private final KafkaConsumer<String, String> consumer;
  private final List<Seen> seen = new ArrayList<>();

  public IdentityProbe() {
    String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    consumer = new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG, "probe-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
        new StringDeserializer(), new StringDeserializer());
    consumer.subscribe(List.of("dsync.identity.events", "dsync.identity.state", "dsync.audit.records"));
  }

  /** Polls once more; answers identity events (not state, not audit) of the directory, in order. */
  public List<Seen> events(String directory) {
    poll();
    return seen.stream().filter(s -> s.topic().equals("dsync.identity.events") && directory.equals(s.directory())).toList();
  }

  public List<Seen> state(String tenant) {
    poll();
    return seen.stream().filter(s -> s.topic().equals("dsync.identity.state") && tenant.equals(s.tenant())).toList();
  }

  public List<Seen> audit(String tenant) {
    poll();
    return seen.stream().filter(s -> s.topic().equals("dsync.audit.records") && tenant.equals(s.tenant())).toList();
  }

  public List<Seen> events(String directory, String type) {
    return events(directory).stream().filter(s -> s.type().equals(type)).toList();
  }

  private void poll() {
    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
      seen.add(new Seen(r.topic(), r.key(), header(r, "ce_id"), header(r, "ce_type"), header(r, "ce_tenantid"),
          header(r, "ce_directoryid"), header(r, "ce_subject"), r.value() == null ? null : EventJson.read(r.value(), JsonNode.class)));
    }
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
