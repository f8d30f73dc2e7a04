package dev.dsync.events;

import java.util.Map;

/** The Kafka topics of dsync: one list, used by devstack, the Kubernetes manifests and the docs. */
public enum Topic {
  /** Raw changes as each source sees them; key: directoryId. */
  SOURCE_CHANGES("dsync.source.changes", 6, "directoryId", Map.of("retention.ms", "604800000")),
  /** Canonical, public identity events; key: directoryId. */
  IDENTITY_EVENTS("dsync.identity.events", 6, "directoryId", Map.of("retention.ms", "2592000000")),
  /** Current canonical state per user and group, tombstone on delete; key: tenantId:entityId. */
  IDENTITY_STATE(
      "dsync.identity.state",
      6,
      "tenantId:entityId",
      Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "60000")),
  /** Provisioning outcome per target and entity; key: targetId. */
  PROVISIONING_RESULTS("dsync.provisioning.results", 3, "targetId", Map.of()),
  /** Each webhook delivery attempt and its outcome; key: endpointId. */
  WEBHOOK_ATTEMPTS("dsync.webhook.attempts", 3, "endpointId", Map.of()),
  /** Administrative actions with their actor, and audit chain checkpoints; key: tenantId. */
  AUDIT_RECORDS("dsync.audit.records", 3, "tenantId", Map.of("retention.ms", "-1"));

  private final String topicName;
  private final int partitions;
  private final String key;
  private final Map<String, String> configs;

  Topic(String topicName, int partitions, String key, Map<String, String> configs) {
    this.topicName = topicName;
    this.partitions = partitions;
    this.key = key;
    this.configs = configs;
  }

  /** The topic's name on the broker. */
  public String topicName() {
    return topicName;
  }

  /** Default partition count; production overlays may raise it. */
  public int partitions() {
    return partitions;
  }

  /** What the record key holds. */
  public String key() {
    return key;
  }

  /** Topic-level configuration the topic is created with. */
  public Map<String, String> configs() {
    return configs;
  }

  public static Topic byName(String topicName) {
    for (Topic t : values()) {
      if (t.topicName.equals(topicName)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown topic " + topicName);
  }
}
