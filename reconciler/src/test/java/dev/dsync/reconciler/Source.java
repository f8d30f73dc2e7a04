package dev.dsync.reconciler;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.Actor;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.source.GroupDeleted;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.GroupUpserted;
import dev.dsync.events.source.MemberRef;
import dev.dsync.events.source.SyncJobCompleted;
import dev.dsync.events.source.SyncJobStarted;
import dev.dsync.events.source.SyncMode;
import dev.dsync.events.source.UserDeleted;
import dev.dsync.events.source.UserUpserted;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;

/** Publishes source events to dsync.source.changes as an ingest service would: binary CloudEvents, key directoryId. */
public final class Source implements AutoCloseable {

  private static final Actor ACTOR = new Actor(Actor.Kind.SCIM_TOKEN, "test-token", null);

  public final String tenant;
  public final String directory;
  private final KafkaProducer<String, String> producer;
  private final AtomicLong version = new AtomicLong(1);

  public Source(String tenant, String directory) {
    this.tenant = tenant;
    this.directory = directory;
    String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    producer = new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), new StringSerializer());
  }

  public static Source newDirectory(String tenant) {
    return new Source(tenant, "dir-" + UUID.randomUUID().toString().substring(0, 8));
  }

  /** Sends one event with the given id; answers the id. */
  public UUID send(UUID id, EventType type, Object data) {
    ProducerRecord<String, String> r = new ProducerRecord<>("dsync.source.changes", directory, EventJson.write(data));
    header(r, "ce_specversion", "1.0");
    header(r, "ce_id", id.toString());
    header(r, "ce_source", "/dsync/test");
    header(r, "ce_type", type.type());
    header(r, "ce_time", Instant.now().toString());
    header(r, "ce_tenantid", tenant);
    header(r, "ce_directoryid", directory);
    header(r, "content-type", "application/json");
    try {
      producer.send(r).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return id;
  }

  public UUID send(EventType type, Object data) {
    return send(UUID.randomUUID(), type, data);
  }

  private static void header(ProducerRecord<String, String> r, String name, String value) {
    r.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
  }

  /** A SCIM user resource: userName, name, one primary work email, active, enterprise department. */
  public static ObjectNode user(String resourceId, String userName, String given, String family, String email, boolean active, String department) {
    ObjectNode n = EventJson.mapper().createObjectNode();
    n.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:User").add("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
    n.put("id", resourceId);
    n.put("externalId", "ext-" + resourceId);
    n.put("userName", userName);
    n.putObject("name").put("givenName", given).put("familyName", family);
    n.put("displayName", given + " " + family);
    n.put("active", active);
    n.putArray("emails").addObject().put("value", email).put("type", "work").put("primary", true);
    if (department != null) {
      n.putObject("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").put("department", department);
    }
    return n;
  }

  public UUID upsertUser(ObjectNode resource, String jobId) {
    return upsertUser(resource, version.incrementAndGet(), jobId);
  }

  public UUID upsertUser(ObjectNode resource, long sourceVersion, String jobId) {
    String id = resource.get("id").asText();
    return send(EventType.SOURCE_USER_UPSERTED, new UserUpserted(id, resource.path("externalId").asText(null), sourceVersion, Instant.now(), resource, List.of(), ACTOR, jobId));
  }

  public UUID deleteUser(String resourceId, String jobId) {
    return send(EventType.SOURCE_USER_DELETED, new UserDeleted(resourceId, null, version.incrementAndGet(), Instant.now(), ACTOR, jobId));
  }

  public UUID upsertGroup(String resourceId, String displayName) {
    return upsertGroup(resourceId, displayName, null);
  }

  public UUID upsertGroup(String resourceId, String displayName, String jobId) {
    ObjectNode n = EventJson.mapper().createObjectNode();
    n.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:Group");
    n.put("id", resourceId);
    n.put("displayName", displayName);
    return send(EventType.SOURCE_GROUP_UPSERTED, new GroupUpserted(resourceId, null, version.incrementAndGet(), Instant.now(), n, List.of("displayName"), ACTOR, jobId));
  }

  public UUID deleteGroup(String resourceId) {
    return send(EventType.SOURCE_GROUP_DELETED, new GroupDeleted(resourceId, null, version.incrementAndGet(), Instant.now(), ACTOR, null));
  }

  public UUID members(String groupId, List<MemberRef> added, List<MemberRef> removed) {
    return members(groupId, added, removed, null);
  }

  public UUID members(String groupId, List<MemberRef> added, List<MemberRef> removed, String jobId) {
    return send(EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, new GroupMembershipChanged(groupId, version.incrementAndGet(), Instant.now(), added, removed, false, ACTOR, jobId));
  }

  public UUID jobStarted(String jobId, SyncMode mode) {
    return jobStarted(jobId, mode, Instant.now());
  }

  /** A start the source stamped {@code at} (its own clock). */
  public UUID jobStarted(String jobId, SyncMode mode, Instant at) {
    return send(EventType.SOURCE_SYNC_JOB_STARTED, new SyncJobStarted(jobId, "conn-1", mode, at));
  }

  public UUID jobCompleted(String jobId, SyncMode mode) {
    return jobCompleted(jobId, mode, Instant.now());
  }

  /** A completion the source stamped {@code at} (its own clock). */
  public UUID jobCompleted(String jobId, SyncMode mode, Instant at) {
    return send(EventType.SOURCE_SYNC_JOB_COMPLETED, new SyncJobCompleted(jobId, "conn-1", mode, at, Map.of()));
  }

  /**
   * A job listing {@code n} users {@code <prefix><i>} (userName and email {@code <prefix><i>@x.test}):
   * started, listed and completed; answers the job's id.
   */
  public String syncUsers(String prefix, int n, SyncMode mode) {
    String job = java.util.UUID.randomUUID().toString();
    jobStarted(job, mode);
    for (int i = 0; i < n; i++) {
      upsertUser(user(prefix + i, prefix + i + "@x.test", prefix.toUpperCase(), "" + i, prefix + i + "@x.test", true, null), job);
    }
    jobCompleted(job, mode);
    return job;
  }

  @Override
  public void close() {
    producer.close();
  }
}
