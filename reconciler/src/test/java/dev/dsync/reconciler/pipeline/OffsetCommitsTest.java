package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import dev.dsync.reconciler.config.ReconcilerConfig;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Offsets are committed in Kafka at most every offset-commit-interval, not after each batch: the
 * consumer still gets them all committed while it is idle, and when it stops.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OffsetCommitsTest {

  @Inject SourceChangesConsumer consumer;
  @Inject ReconcilerConfig config;

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrap;

  @Test
  void an_idle_consumer_commits_what_it_applied_within_the_interval() throws Exception {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe(); Admin admin = admin()) {
      for (int i = 0; i < 3; i++) {
        src.upsertUser(Source.user("o" + i, "o" + i + "@x.test", "O", "" + i, "o" + i + "@x.test", true, null), 1, null);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 3);
      Map<TopicPartition, Long> end = endOffsets(admin);
      // No stop, no rebalance: only the interval makes these commits.
      await().atMost(config.offsetCommitInterval().plus(config.pollTimeout()).plusSeconds(5))
          .until(() -> reached(committed(admin), end));
    }
  }

  @Test
  void a_stopping_consumer_commits_what_it_applied() throws Exception {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe(); Admin admin = admin()) {
      src.upsertUser(Source.user("s0", "s0@x.test", "S", "0", "s0@x.test", true, null), 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 1);
      Map<TopicPartition, Long> end = endOffsets(admin);
      consumer.stop();
      try {
        assertThat(reached(committed(admin), end)).as("committed %s, end %s", committed(admin), end).isTrue();
      } finally {
        consumer.start();
      }
      // Started again from the committed offsets: the next change is applied, nothing twice.
      src.upsertUser(Source.user("s1", "s1@x.test", "S", "1", "s1@x.test", true, null), 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 2);
      assertThat(probe.events(src.directory).stream().map(IdentityProbe.Seen::sequence).toList()).containsExactly(1L, 2L);
    }
  }

  /** Every partition that holds records has its offset committed at least up to {@code end}. */
  private static boolean reached(Map<TopicPartition, Long> committed, Map<TopicPartition, Long> end) {
    return end.entrySet().stream().allMatch(e -> committed.getOrDefault(e.getKey(), 0L) >= e.getValue());
  }

  private Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  private Map<TopicPartition, Long> endOffsets(Admin admin) throws Exception {
    var partitions = admin.describeTopics(java.util.List.of(config.sourceTopic())).allTopicNames().get().get(config.sourceTopic()).partitions();
    Map<TopicPartition, OffsetSpec> latest = partitions.stream()
        .collect(Collectors.toMap(p -> new TopicPartition(config.sourceTopic(), p.partition()), p -> OffsetSpec.latest()));
    return admin.listOffsets(latest).all().get().entrySet().stream()
        .filter(e -> e.getValue().offset() > 0)
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  private Map<TopicPartition, Long> committed(Admin admin) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(config.groupId()).partitionsToOffsetAndMetadata().get();
    return offsets.entrySet().stream()
        .filter(e -> e.getKey().topic().equals(config.sourceTopic()) && e.getValue() != null && e.getValue().offset() > 0)
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }
}
