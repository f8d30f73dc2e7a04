package dev.dsync.devstack;

import dev.dsync.events.Topic;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

/** A real single-node Kafka broker in KRaft combined mode, in this JVM, on loopback. */
final class KafkaBroker implements AutoCloseable {

  private final KafkaRaftServer server;
  private final int port;
  private final int controllerPort;
  private final Path logDir;

  private KafkaBroker(KafkaRaftServer server, int port, int controllerPort, Path logDir) {
    this.controllerPort = controllerPort;
    this.logDir = logDir;
    this.server = server;
    this.port = port;
  }

  static KafkaBroker start(Path logDir, int brokerPort, int controllerPort) throws IOException {
    Files.createDirectories(logDir);
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put(
        "listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("log.dirs", logDir.toString());
    // Production topics are created from the one list in events; a typo must fail, not create.
    props.put("auto.create.topics.enable", "false");
    props.put("num.partitions", "1");
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "5");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "5");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
    props.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));

    Path config = logDir.resolveSibling("kafka-server.properties");
    try (Writer w = Files.newBufferedWriter(config)) {
      props.store(w, "devstack broker");
    }
    format(config, logDir);

    KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    server.startup();
    return new KafkaBroker(server, brokerPort, controllerPort, logDir);
  }

  private static void format(Path config, Path logDir) {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int rc =
        StorageTool.execute(
            new String[] {
              "format", "-t", Uuid.randomUuid().toString(), "-c", config.toString(), "--ignore-formatted"
            },
            new PrintStream(out, true, StandardCharsets.UTF_8));
    if (rc != 0) {
      throw new IllegalStateException("kafka storage format failed: " + out.toString(StandardCharsets.UTF_8));
    }
  }

  String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** Creates every topic of {@link Topic} with its partitions and configs; existing ones are kept. */
  void createTopics() throws InterruptedException {
    List<NewTopic> topics = new ArrayList<>();
    for (Topic t : Topic.values()) {
      topics.add(new NewTopic(t.topicName(), t.partitions(), (short) 1).configs(t.configs()));
    }
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      for (var entry : admin.createTopics(topics).values().entrySet()) {
        try {
          entry.getValue().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("creating topic " + entry.getKey() + " failed", e.getCause());
          }
        }
      }
    }
  }

  /** Starts a new broker on the same ports and log directory (its topics, offsets and records kept). */
  KafkaBroker restart() throws IOException {
    return start(logDir, port, controllerPort);
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
  }
}
