package dev.dsync.platform.outbox;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The relay's Kafka producer: records built by the relay (CloudEvents binary mode, see
 * {@link OutboxRelay}) handed to one plain {@link KafkaProducer}. A reactive-messaging emitter
 * cost ~8 % of a sync's reconciler CPU per record (message metadata, context propagation, its
 * CloudEvents writer) on the event loop, for records the relay already has in their final form.
 *
 * <p>Sends run on a thread of their own: {@code send} may block (the first record for a topic
 * waits for its metadata, a full buffer waits for room), which must not happen on an event loop.
 * One thread keeps the records of a claim, and of claims one after another, in order.
 */
@ApplicationScoped
public class OutboxProducer {

  private final OutboxConfig outbox;
  private final String bootstrap;
  private final MeterRegistry registry;
  private KafkaProducer<String, byte[]> producer;
  private ExecutorService sender;
  private KafkaClientMetrics metrics;

  public OutboxProducer(OutboxConfig outbox, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap, MeterRegistry registry) {
    this.outbox = outbox;
    this.bootstrap = bootstrap;
    this.registry = registry;
  }

  private synchronized KafkaProducer<String, byte[]> producer() {
    if (producer == null) {
      Properties p = new Properties();
      p.putAll(outbox.kafka());
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "kafka-producer-dsync-outbox");
      producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
      sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "dsync-outbox-producer");
        t.setDaemon(true);
        return t;
      });
      metrics = new KafkaClientMetrics(producer);
      metrics.bindTo(registry);
    }
    return producer;
  }

  /** Sends the records in order; completes when the broker acknowledged all of them, fails with the first failure. */
  public Uni<Void> send(List<ProducerRecord<String, byte[]>> records) {
    if (records.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    KafkaProducer<String, byte[]> kafka = producer();
    return Uni.createFrom().emitter(e -> {
      AtomicInteger left = new AtomicInteger(records.size());
      sender.execute(() -> {
        try {
          for (ProducerRecord<String, byte[]> record : records) {
            kafka.send(record, (meta, failure) -> {
              if (failure != null) {
                e.fail(failure);
              } else if (left.decrementAndGet() == 0) {
                e.complete(null);
              }
            });
          }
        } catch (RuntimeException failure) {
          e.fail(failure);
        }
      });
    });
  }

  /** Sends what is buffered and closes; a later send opens a new producer. */
  public synchronized void close() {
    if (producer != null) {
      sender.shutdown();
      metrics.close();
      producer.close(java.time.Duration.ofSeconds(10));
      producer = null;
      sender = null;
      metrics = null;
    }
  }
}
