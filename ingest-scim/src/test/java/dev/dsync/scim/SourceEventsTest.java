package dev.dsync.scim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.events.EventJson;
import dev.dsync.events.source.DirectoryChanged;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.GroupUpserted;
import dev.dsync.events.source.MemberRef;
import dev.dsync.events.source.UserDeleted;
import dev.dsync.events.source.UserUpserted;
import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
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
import org.junit.jupiter.api.Test;

/** Every acknowledged SCIM write appears once on dsync.source.changes; failed and no-op writes emit nothing. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class SourceEventsTest {

  record Seen(String key, String id, String type, String tenant, String directory, String subject, String value) {}

  @Test
  void acknowledged_writes_become_source_events_once_and_in_order() {
    ScimTestSupport.Dir dir = ScimTestSupport.newDirectory();
    String user = dir.scim().body("{\"userName\":\"ev@example.com\",\"name\":{\"givenName\":\"A\"},\"active\":true}").post("/Users")
        .then().statusCode(201).extract().path("id");
    String patch = "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"name.givenName\",\"value\":\"B\"}]}";
    dir.scim().body(patch).patch("/Users/" + user).then().statusCode(200);
    dir.scim().body(patch).patch("/Users/" + user).then().statusCode(200); // no change: no event
    dir.scim().body("{\"userName\":\"EV@example.com\"}").post("/Users").then().statusCode(409); // failed: no event
    String group = dir.scim().body("{\"displayName\":\"Eng\",\"members\":[{\"value\":\"" + user + "\"}]}").post("/Groups")
        .then().statusCode(201).extract().path("id");
    String add = "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"m2\"},{\"value\":\"" + user + "\"}]}]}";
    dir.scim().body(add).patch("/Groups/" + group).then().statusCode(204);
    dir.scim().body("{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"remove\",\"path\":\"members[value eq \\\"m2\\\"]\"}]}")
        .patch("/Groups/" + group).then().statusCode(204);
    dir.scim().delete("/Users/" + user).then().statusCode(204);

    List<Seen> seen = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = consumer()) {
      consumer.subscribe(List.of("dsync.source.changes"));
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(300))) {
          if (dir.id().equals(header(r, "ce_directoryid"))) {
            seen.add(new Seen(r.key(), header(r, "ce_id"), header(r, "ce_type"), header(r, "ce_tenantid"), header(r, "ce_directoryid"), header(r, "ce_subject"), r.value()));
          }
        }
        return seen.size() >= 8;
      });
      // Nothing more arrives: the no-op PATCH and the refused POST emitted nothing.
      for (int i = 0; i < 5; i++) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> {
          if (dir.id().equals(header(r, "ce_directoryid"))) {
            seen.add(new Seen(r.key(), header(r, "ce_id"), header(r, "ce_type"), header(r, "ce_tenantid"), header(r, "ce_directoryid"), header(r, "ce_subject"), r.value()));
          }
        });
      }
    }

    assertThat(seen.stream().map(Seen::type).toList()).containsExactly(
        "dsync.source.directory.changed",
        "dsync.source.user.upserted",
        "dsync.source.user.upserted",
        "dsync.source.group.upserted",
        "dsync.source.group.membership_changed",
        "dsync.source.group.membership_changed",
        "dsync.source.group.membership_changed",
        "dsync.source.user.deleted");
    assertThat(seen).allSatisfy(s -> {
      assertThat(s.key()).isEqualTo(dir.id());
      assertThat(s.tenant()).isEqualTo(dir.tenant());
    });
    assertThat(seen.stream().map(Seen::id).distinct()).hasSize(seen.size());

    DirectoryChanged created = EventJson.read(seen.get(0).value(), DirectoryChanged.class);
    assertThat(created.change()).isEqualTo(DirectoryChanged.Change.CREATED);

    UserUpserted first = EventJson.read(seen.get(1).value(), UserUpserted.class);
    UserUpserted second = EventJson.read(seen.get(2).value(), UserUpserted.class);
    assertThat(first.resourceId()).isEqualTo(user);
    assertThat(first.sourceVersion()).isEqualTo(1);
    assertThat(second.sourceVersion()).isEqualTo(2);
    assertThat(second.changedAttributes()).containsExactly("name.givenName");
    assertThat(second.resource().path("name").path("givenName").asText()).isEqualTo("B");
    assertThat(second.actor().kind().name()).isEqualTo("SCIM_TOKEN");

    GroupUpserted g = EventJson.read(seen.get(3).value(), GroupUpserted.class);
    assertThat(g.resource().has("members")).as("group events never carry member lists").isFalse();
    GroupMembershipChanged initial = EventJson.read(seen.get(4).value(), GroupMembershipChanged.class);
    assertThat(initial.added()).extracting(MemberRef::value).containsExactly(user);
    GroupMembershipChanged added = EventJson.read(seen.get(5).value(), GroupMembershipChanged.class);
    assertThat(added.added()).as("only the delta: the existing member is not repeated").extracting(MemberRef::value).containsExactly("m2");
    GroupMembershipChanged removed = EventJson.read(seen.get(6).value(), GroupMembershipChanged.class);
    assertThat(removed.removed()).extracting(MemberRef::value).containsExactly("m2");
    assertThat(removed.sourceVersion()).isGreaterThan(added.sourceVersion());

    UserDeleted deleted = EventJson.read(seen.get(7).value(), UserDeleted.class);
    assertThat(deleted.resourceId()).isEqualTo(user);
    assertThat(deleted.sourceVersion()).isEqualTo(3);
  }

  @Test
  void membership_events_are_exact_deltas_and_a_large_one_is_split() {
    ScimTestSupport.Dir dir = ScimTestSupport.newDirectory();
    String group = dir.scim().body("{\"displayName\":\"Big\",\"members\":[{\"value\":\"stays\"},{\"value\":\"goes\"}]}").post("/Groups")
        .then().statusCode(201).extract().path("id");
    // A replace names every member; the event names only what changed, so a consumer keeps "stays".
    String replace = "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"members\","
        + "\"value\":[{\"value\":\"stays\"},{\"value\":\"new\"}]}]}";
    dir.scim().body(replace).patch("/Groups/" + group).then().statusCode(204);
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 2500; i++) {
      many.append(i == 0 ? "" : ",").append("{\"value\":\"bulk-").append(i).append("\"}");
    }
    dir.scim().body("{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":["
        + many + "]}]}").patch("/Groups/" + group).then().statusCode(204);
    dir.scim().body("{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"remove\",\"path\":\"members\"}]}")
        .patch("/Groups/" + group).then().statusCode(204);
    // Member values are the client's strings: three very long ones are split by size, not count.
    String longValues = "{\"value\":\"" + "a".repeat(150_000) + "\"},{\"value\":\"" + "b".repeat(150_000) + "\"},{\"value\":\"" + "c".repeat(150_000) + "\"}";
    dir.scim().body("{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":["
        + longValues + "]}]}").patch("/Groups/" + group).then().statusCode(204);

    List<GroupMembershipChanged> seen = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = consumer()) {
      consumer.subscribe(List.of("dsync.source.changes"));
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(300))) {
          if (dir.id().equals(header(r, "ce_directoryid")) && "dsync.source.group.membership_changed".equals(header(r, "ce_type"))) {
            seen.add(EventJson.read(r.value(), GroupMembershipChanged.class));
          }
        }
        return seen.size() >= 11;
      });
    }
    assertThat(seen).noneMatch(GroupMembershipChanged::replaced);
    GroupMembershipChanged replaced = seen.get(1);
    assertThat(replaced.added()).extracting(MemberRef::value).containsExactly("new");
    assertThat(replaced.removed()).extracting(MemberRef::value).containsExactly("goes");
    List<GroupMembershipChanged> bulk = seen.subList(2, 5);
    assertThat(bulk).extracting(m -> m.added().size()).containsExactly(1000, 1000, 500);
    assertThat(bulk).extracting(GroupMembershipChanged::sourceVersion).containsOnly(bulk.get(0).sourceVersion());
    assertThat(bulk.get(0).sourceVersion()).isGreaterThan(replaced.sourceVersion());
    assertThat(bulk.stream().flatMap(m -> m.added().stream()).map(MemberRef::value).distinct().count()).isEqualTo(2500);
    List<GroupMembershipChanged> emptied = seen.subList(5, 8);
    assertThat(emptied).extracting(m -> m.removed().size()).containsExactly(1000, 1000, 502);
    assertThat(emptied.stream().flatMap(m -> m.removed().stream()).map(MemberRef::value).distinct().count()).isEqualTo(2502);
    assertThat(seen.subList(8, 11)).extracting(m -> m.added().size()).containsExactly(1, 1, 1);
    assertThat(seen.subList(8, 11)).extracting(m -> m.added().get(0).value().charAt(0)).containsExactly('a', 'b', 'c');
  }

  static KafkaConsumer<String, String> consumer() {
    String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    return new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "probe-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer());
  }

  static String header(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
