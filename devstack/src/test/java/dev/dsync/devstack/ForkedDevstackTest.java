package dev.dsync.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.events.Topic;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class ForkedDevstackTest {

  @Test
  void starts_real_kafka_and_postgres_with_every_topic_and_cleans_up_after_stop() throws Exception {
    ForkedDevstack devstack = ForkedDevstack.start();
    DevstackState state = devstack.state();
    try {
      try (Connection c =
              DriverManager.getConnection(state.jdbcUrl(), state.dbUser(), state.dbPassword());
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("select current_database(), version()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("dsync");
        assertThat(rs.getString(2)).startsWith("PostgreSQL 17");
      }

      try (Admin admin =
          Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, state.kafkaBootstrap()))) {
        Set<String> names = admin.listTopics().names().get();
        for (Topic t : Topic.values()) {
          assertThat(names).contains(t.topicName());
        }
        TopicDescription source =
            admin.describeTopics(List.of(Topic.SOURCE_CHANGES.topicName())).allTopicNames().get()
                .get(Topic.SOURCE_CHANGES.topicName());
        assertThat(source.partitions()).hasSize(Topic.SOURCE_CHANGES.partitions());
        ConfigResource stateTopic =
            new ConfigResource(ConfigResource.Type.TOPIC, Topic.IDENTITY_STATE.topicName());
        Config cfg = admin.describeConfigs(List.of(stateTopic)).all().get().get(stateTopic);
        assertThat(cfg.get("cleanup.policy").value()).isEqualTo("compact");
      }

      String topic = Topic.AUDIT_RECORDS.topicName();
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(
              Map.of("bootstrap.servers", state.kafkaBootstrap()),
              new StringSerializer(),
              new StringSerializer())) {
        producer.send(new ProducerRecord<>(topic, "devstack-test", "hello")).get();
      }
      try (KafkaConsumer<String, String> consumer =
          new KafkaConsumer<>(
              Map.of(
                  ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, state.kafkaBootstrap(),
                  ConsumerConfig.GROUP_ID_CONFIG, "devstack-test",
                  ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
              new StringDeserializer(),
              new StringDeserializer())) {
        consumer.subscribe(List.of(topic));
        String seen = null;
        long deadline = System.currentTimeMillis() + 30_000;
        while (seen == null && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
            if ("devstack-test".equals(r.key())) {
              seen = r.value();
            }
          }
        }
        assertThat(seen).isEqualTo("hello");
      }
    } finally {
      devstack.stop();
    }

    assertThat(ProcessHandle.of(devstack.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(devstack.stateDir()).doesNotExist();
    assertThat(portOpen(state.kafkaBootstrap())).isFalse();
    assertThat(portOpen(state.dbUrl().replaceAll("^postgresql://([^/]+)/.*$", "$1"))).isFalse();
  }

  private static boolean portOpen(String hostPort) {
    String[] hp = hostPort.split(":");
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 500);
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
