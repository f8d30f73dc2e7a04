package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventType;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class PipelineTest {

  @Test
  void creates_updates_with_previous_attributes_and_is_silent_when_nothing_changed_or_redelivered() {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      ObjectNode alice = Source.user("u1", "Alice@Example.com", "Alice", "Liddell", "alice@example.com", true, "Sales");
      UUID first = src.upsertUser(alice, 10, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 1);
      IdentityProbe.Seen created = probe.events(src.directory).get(0);
      assertThat(created.type()).isEqualTo("dsync.user.created");
      assertThat(created.key()).isEqualTo(src.directory);
      assertThat(created.tenant()).isEqualTo(tenant);
      assertThat(created.data().path("user").path("userName").asText()).isEqualTo("Alice@Example.com");
      assertThat(created.data().path("user").path("attributes").path("department").asText()).isEqualTo("Sales");
      assertThat(created.data().path("user").path("state").asText()).isEqualTo("ACTIVE");
      String id = created.data().path("user").path("id").asText();

      // Redelivery of the same event (same ce_id) and an identical re-send with a newer version: no event.
      src.send(first, EventType.SOURCE_USER_UPSERTED, new dev.dsync.events.source.UserUpserted("u1", "ext-u1", 10, java.time.Instant.now(), alice, List.of(), null, null));
      src.upsertUser(alice, 11, null);
      // A stale change (older than applied) is ignored too.
      src.upsertUser(Source.user("u1", "alice@example.com", "Old", "Name", "alice@example.com", true, "Sales"), 5, null);

      alice.putObject("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").put("department", "Finance");
      alice.put("displayName", "Alice L.");
      src.upsertUser(alice, 12, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 2);
      assertThat(probe.events(src.directory)).hasSize(2);
      IdentityProbe.Seen updated = probe.events(src.directory).get(1);
      assertThat(updated.type()).isEqualTo("dsync.user.updated");
      assertThat(updated.sequence()).isEqualTo(created.sequence() + 1);
      assertThat(updated.data().path("user").path("id").asText()).isEqualTo(id);
      assertThat(updated.data().path("previousAttributes").path("displayName").asText()).isEqualTo("Alice Liddell");
      assertThat(updated.data().path("previousAttributes").path("attributes.department").asText()).isEqualTo("Sales");
      assertThat(updated.data().path("previousAttributes").size()).isEqualTo(2);

      // The compacted state topic carries the current state, keyed tenantId:entityId.
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.state(tenant).size() >= 2);
      IdentityProbe.Seen state = probe.state(tenant).get(probe.state(tenant).size() - 1);
      assertThat(state.key()).isEqualTo(tenant + ":" + id);
      assertThat(state.data().path("user").path("displayName").asText()).isEqualTo("Alice L.");

      // Deactivation at the source under the default policy (deactivate): updated, state INACTIVE.
      alice.put("active", false);
      src.upsertUser(alice, 13, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 3);
      IdentityProbe.Seen deactivated = probe.events(src.directory).get(2);
      assertThat(deactivated.data().path("user").path("state").asText()).isEqualTo("INACTIVE");
      assertThat(deactivated.data().path("previousAttributes").path("state").asText()).isEqualTo("ACTIVE");
      assertThat(deactivated.sequence()).isEqualTo(created.sequence() + 2);
    }
  }

  @Test
  void a_job_publishes_an_entitys_state_once_per_page_with_its_last_value() {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      String job = java.util.UUID.randomUUID().toString();
      src.jobStarted(job, dev.dsync.events.source.SyncMode.COMPLETE);
      src.upsertUser(Source.user("u1", "bob@example.com", "Bob", "B", "bob@example.com", true, null), job);
      src.upsertGroup("g1", "Engineering", job);
      src.members("g1", List.of(new dev.dsync.events.source.MemberRef("u1", "User")), List.of(), job);
      src.jobCompleted(job, dev.dsync.events.source.SyncMode.COMPLETE);
      // Three staged changes, one page (the test page size is 4): user.created, group.created, group.user_added.
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 3);
      String userId = probe.events(src.directory, "dsync.user.created").get(0).data().path("user").path("id").asText();
      long lastAdded = probe.events(src.directory, "dsync.group.user_added").stream().mapToLong(IdentityProbe.Seen::sequence).max().orElseThrow();

      // Its state was emitted twice in the page (created, then added to g1); one record is
      // published, the last. A key's records arrive in order (one partition), so once the last is
      // here any earlier one would be too.
      String key = tenant + ":" + userId;
      await().atMost(Duration.ofSeconds(30)).until(() ->
          probe.state(tenant).stream().anyMatch(s -> s.key().equals(key) && s.data().path("groupIds").size() == 1));
      List<IdentityProbe.Seen> userStates = probe.state(tenant).stream().filter(s -> s.key().equals(key)).toList();
      assertThat(userStates).hasSize(1);
      assertThat(userStates.get(0).data().path("sequence").asLong()).isEqualTo(lastAdded);
    }
  }

  @Test
  void a_malformed_event_is_kept_as_failed_and_does_not_stop_the_directory() {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      src.send(EventType.SOURCE_USER_UPSERTED, java.util.Map.of("resourceId", 42, "sourceVersion", "not a number"));
      src.upsertUser(Source.user("ok", "ok@example.com", "O", "K", "ok@example.com", true, null), 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 1);
      assertThat(probe.events(src.directory).get(0).type()).isEqualTo("dsync.user.created");
    }
  }
}
