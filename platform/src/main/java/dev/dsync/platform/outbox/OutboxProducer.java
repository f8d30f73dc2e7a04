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

  private synchronized Open open() {
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
    return new Open(producer, sender);
  }

  /** The producer and its sending thread, taken together so that a concurrent close cannot split them. */
  private record Open(KafkaProducer<String, byte[]> producer, ExecutorService sender) {}

  /** Sends the records in order; completes when the broker acknowledged all of them, fails with the first failure. */
  public Uni<Void> send(List<ProducerRecord<String, byte[]>> records) {
    if (records.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    Open open = open();
    KafkaProducer<String, byte[]> kafka = open.producer();
    // The outcome is handed back to the caller's Vert.x context (the relay's claim continues with
    // PostgreSQL there), not run on Kafka's network thread, whose callbacks must stay short.
    io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
    return Uni.createFrom().<Void>emitter(e -> {
      AtomicInteger left = new AtomicInteger(records.size());
      open.sender().execute(() -> {
        try {
          for (ProducerRecord<String, byte[]> record : records) {
            kafka.send(record, (meta, failure) -> {
              if (failure != null) {
                onContext(context, () -> e.fail(failure));
              } else if (left.decrementAndGet() == 0) {
                onContext(context, () -> e.complete(null));
              }
            });
          }
        } catch (RuntimeException failure) {
          onContext(context, () -> e.fail(failure));
        }
      });
    });
  }

  private static void onContext(io.vertx.core.Context context, Runnable action) {
    if (context == null) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
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
